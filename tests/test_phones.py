"""One typed phone normalised without Arrow (``validators.phones``) gives what the column-wise
normaliser (``validators.normalize.mobile``) gives the same cell: a lookup by phone and a workbook's
phones can never disagree about a number."""

from __future__ import annotations

import pyarrow as pa
import pytest

from validators.normalize import mobile
from validators.phones import fold_text, mobile_text

TYPED = [
    "13800138000",
    "138 0013 8000",
    "138-0013-8000",
    "(138) 0013 8000",
    "+86 138 0013 8000",
    "+8613800138000",
    "008613800138000",
    "8613800138000",
    "013800138000",
    "１３８００１３８０００",  # full width
    "　138 0013 8000　",  # ideographic spaces around
    "13800138000.0",
    "1.3800138E10",
    "1.3800138e+10",
    "手机13800138000",
    "tel: 138.0013.8000",
    "12800138000",  # no mainland mobile starts 12
    "1380013800",  # ten digits
    "138001380001",  # twelve
    "010-12345678",  # a landline
    "86 010 1234 5678",
    "0013800138000",
    "1.38001380001E10",  # a fraction: left as typed, and not a phone
    "9.99e20",
    "abc",
    "",
    "   ",
    "—",
    "13800138000\n",
    "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits: not what a mainland clerk types, not a phone
]


@pytest.mark.parametrize("typed", TYPED)
def test_one_phone_reads_as_the_column_reads_it(typed: str) -> None:
    column = mobile(pa.array([typed], pa.string())).values[0].as_py()
    assert mobile_text(typed) == column


def test_the_usual_ways_of_typing_a_mobile_give_its_eleven_digits() -> None:
    assert {mobile_text(t) for t in TYPED[:14]} == {"13800138000"}
    assert mobile_text(None) is None
    assert mobile_text("010-12345678") is None


def test_folding_collapses_widths_and_spaces() -> None:
    assert fold_text(" Ａ　 B\t\tc ") == "A B c"
    assert fold_text(" \t ") is None
