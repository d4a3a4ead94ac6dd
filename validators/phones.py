"""One phone as a clerk types it, normalised without Arrow: the scalar twin of ``normalize.mobile``.

A workbook's phones are normalised a column at a time on Arrow arrays (:mod:`validators.normalize`);
a person looking one customer up (``salesync customers reassign``, a 撞单 settled by phone) types a
single number, and the command that takes it should not load pandas and Arrow for it. The rules
are the same, written on ``str``: width folding (NFKC), spaces collapsed, a number typed as a float
(``13800138000.0``, ``1.3800138E10``) read as its digits, separators dropped, ``+86`` / ``0086`` /
``86`` and a leading trunk ``0`` removed; what is left must be a mainland mobile of 11 digits.
``tests/test_phones.py`` holds the two to the same answers.
"""

from __future__ import annotations

import math
import re
import unicodedata

# Arrow's regular expressions (RE2) know ASCII digits and whitespace only: so do these (re.ASCII),
# and they match whole strings (fullmatch), as RE2's ``^…$`` does without Python's final-newline slack.
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_SEPARATED = re.compile(r"[0-9+() -]*[0-9][0-9+() -]*", re.ASCII)
_PREFIX = re.compile(r"(?:0086|86|0)(1\d{10})", re.ASCII)
_NUMERIC = re.compile(r"\d+\.0+|\d(\.\d+)?[eE]\+?\d+", re.ASCII)
_SPACES = re.compile(r"[\t\n\f\r ]+")  # RE2's \s
_NOT_DIGIT = re.compile(r"[^0-9]")


def fold_text(text: str) -> str | None:
    """Text as a clerk means it: NFKC width folding, spaces trimmed and collapsed, empty → None."""
    folded = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    return folded or None


def _mobile_digits(digits: str) -> str | None:
    prefixed = _PREFIX.fullmatch(digits)
    if prefixed:
        digits = prefixed.group(1)
    return digits if _MOBILE.fullmatch(digits) else None


def mobile_text(text: str | None) -> str | None:
    """A mainland mobile as 11 ASCII digits, or None when ``text`` is none."""
    if text is None:
        return None
    if _MOBILE.fullmatch(text):
        return text
    if _SEPARATED.fullmatch(text):
        return _mobile_digits(_NOT_DIGIT.sub("", text))
    folded = fold_text(text)
    if folded is None:
        return None
    if _NUMERIC.fullmatch(folded):
        number = float(folded)
        if abs(number) < 1e15 and number == math.floor(number):
            folded = str(int(number))
    return _mobile_digits(_NOT_DIGIT.sub("", folded))
