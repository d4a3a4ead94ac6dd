"""Cell normalisation: the shapes people and Excel really produce."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from validators import normalize


def values(arr: pa.Array) -> list[object]:
    return arr.to_pylist()


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-26",
        "2026/11/26",
        "2026年11月26日",
        "20261126",
        "2026-11-26 00:00:00",
        "2026.11.26",
        "46352",
        "２０２６－１１－２６",
        " 2026/11/26 ",
    ],
)
def test_dates(raw: str) -> None:
    parsed = normalize.date(pa.array([raw]))
    assert values(parsed.values) == [dt.date(2026, 11, 26)] and not parsed.bad.any()


@pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-01", "明天", "26/11/2026x"])
def test_bad_dates_are_flagged_not_guessed(raw: str) -> None:
    parsed = normalize.date(pa.array([raw]))
    assert values(parsed.values) == [None] and parsed.bad.tolist() == [True]


def test_datetimes_keep_the_time_and_serials_carry_fractions() -> None:
    parsed = normalize.datetime(pa.array(["2026-11-26 14:30", "2026/11/26 9:05:07", "46352.5", None]))
    assert values(parsed.values) == [
        dt.datetime(2026, 11, 26, 14, 30),
        dt.datetime(2026, 11, 26, 9, 5, 7),
        dt.datetime(2026, 11, 26, 12, 0),
        None,
    ]
    assert parsed.bad.tolist() == [False, False, False, False]


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "+86-13800138000",
        "+86 138 0013 8000",
        "0086 13800138000",
        "013800138000",
        "１３８００１３８０００",
        "13800138000.0",
        "1.3800138E10",
        "138-0013-8000",
    ],
)
def test_mobiles_normalise_to_eleven_digits(raw: str) -> None:
    parsed = normalize.mobile(pa.array([raw]))
    assert values(parsed.values) == ["13800138000"] and not parsed.bad.any()


@pytest.mark.parametrize("raw", ["12345", "23800138000", "0755-12345678", "138001380001"])
def test_non_mobiles_are_flagged(raw: str) -> None:
    assert normalize.mobile(pa.array([raw])).bad.tolist() == [True]


def test_landlines_keep_their_area_code() -> None:
    parsed = normalize.any_phone(pa.array(["0755-12345678", "(010) 8888 6666", "1234567", "13800138000"]))
    assert values(parsed.values) == ["075512345678", "01088886666", None, "13800138000"]
    assert parsed.bad.tolist() == [False, False, True, False]


def test_numbers_as_text_with_separators_currency_and_percent() -> None:
    parsed = normalize.number(pa.array(["1,234.50", "￥12", "３０％", "30%", "abc", None, " 7 "]))
    assert values(parsed.values) == [1234.5, 12.0, 0.3, 0.3, None, None, 7.0]
    assert parsed.bad.tolist() == [False, False, False, False, True, False, False]


def test_integers_reject_fractions() -> None:
    parsed = normalize.integer(pa.array(["18", "18.0", "18.5"]))
    assert values(parsed.values) == [18, 18, None] and parsed.bad.tolist() == [False, False, True]


def test_id_card_check_digit() -> None:
    folded, malformed, bad_check = normalize.id_card(
        pa.array(["11010519491231002X", "11010519491231002x", "110105194912310021", "E1234567", None])
    )
    assert values(folded)[1] == "11010519491231002X"
    assert malformed.tolist() == [False, False, False, True, False]
    assert bad_check.tolist() == [False, False, True, False, False]


def test_text_folds_width_and_spaces() -> None:
    assert values(normalize.fold(pa.array(["　张三　", "Ａ座  1201", "", "  "]))) == [
        "张三",
        "A座 1201",
        None,
        None,
    ]
    assert values(normalize.code(pa.array(["sz-hw 01", "ｓｚ－ＨＷ０１"]))) == ["SZ-HW01", "SZ-HW01"]


def test_mobile_fast_paths_agree_with_the_whole_way() -> None:
    """Plain and ASCII-separated phones skip the full normalisation: same values, same bad cells."""
    import random

    from validators.normalize import _mobile, mobile

    rnd = random.Random(7)
    pieces = [
        "138",
        "0013",
        "8000",
        "+86",
        "86",
        "0086",
        "0",
        " ",
        "-",
        "(",
        ")",
        "１",
        "３",
        ".0",
        "e",
        "转8",
        "x",
    ]
    samples = [None, "", "13800138000", "138 0013 8000", "+86-13800138000", "(0086) 138-0013-8000"]
    samples += ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 7))) for _ in range(3000)]
    arr = pa.array(samples, pa.string())
    fast, whole = mobile(arr), _mobile(arr)
    assert fast.values.to_pylist() == whole.values.to_pylist()
    assert fast.bad.tolist() == whole.bad.tolist()


@pytest.mark.parametrize("cell", ["1e400", "1.23e1", "9" * 30, "9" * 25 + ".0", "1.3800138E10"])
def test_phones_typed_as_huge_or_fractional_numbers_are_findings_not_crashes(cell: str) -> None:
    parsed = normalize.mobile(pa.array([cell]))
    if cell == "1.3800138E10":
        assert parsed.values.to_pylist() == ["13800138000"] and not parsed.bad[0]
    else:
        assert parsed.values.to_pylist() == [None] and parsed.bad[0]


def test_date_cells_parsed_in_one_pass_agree_with_the_whole_way() -> None:
    """The reader's ``YYYY-MM-DD HH:MM:SS`` is parsed by Arrow; impossible dates still fail."""
    import random

    import numpy as np

    from validators.normalize import _any_datetimes, _datetimes

    rnd = random.Random(3)
    samples: list[str | None] = [None, "", "2026-11-26", "2026年11月26日", "46000", "20261126"]
    for _ in range(3000):
        y, m, d = (
            rnd.choice([1899, 1900, 2000, 2023, 2024, 2026, 9999]),
            rnd.randint(0, 13),
            rnd.randint(0, 32),
        )
        hh, mm, ss = rnd.choice([0, 0, 12, 23, 24]), rnd.choice([0, 30, 59, 60]), rnd.choice([0, 59, 60])
        samples.append(f"{y:04d}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}")
    arr = pa.array(samples, pa.string())
    fast, whole = _datetimes(arr), _any_datetimes(arr)
    for got, want in zip(fast, whole, strict=True):
        assert np.array_equal(got, want, equal_nan=got.dtype.kind == "M") or (got == want).all()


def test_text_already_folded_is_left_as_it_is_and_the_rest_is_folded() -> None:
    import random

    from validators.normalize import _fold, fold

    rnd = random.Random(5)
    pieces = [
        "张伟",
        "abc",
        "A-1",
        " ",
        "  ",
        "\t",
        "\u3000",
        "\u00a0",
        "ＡＢ",
        "１２",
        "（",
        "）",
        "①",
        "ｶ",
        "，",
        "…",
        "丽",
        "﨑",
    ]
    samples = [None, "", "plain", "王芳 三房", " lead", "trail ", "a  b"]
    samples += ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 6))) for _ in range(3000)]
    arr = pa.array(samples, pa.string())
    assert fold(arr).to_pylist() == _fold(arr).to_pylist()


def test_a_column_of_well_formed_date_cells_takes_the_strict_one_pass_parse() -> None:
    import numpy as np

    from validators.normalize import _any_datetimes, _datetimes

    stamps = np.arange("1899-12-31T00:00", "2100-01-01T00:00", 86399 * 37, dtype="datetime64[s]")
    arr = pa.array([str(s).replace("T", " ") for s in stamps] + [None], pa.string())
    fast, whole = _datetimes(arr), _any_datetimes(arr)
    assert np.array_equal(fast[0], whole[0], equal_nan=True)
    assert (fast[1] == whole[1]).all() and (fast[2] == whole[2]).all() and not fast[1].any()
