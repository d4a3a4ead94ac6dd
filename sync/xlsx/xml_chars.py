"""The characters a workbook cannot hold, and taking them out.

XML 1.0, and so every .xlsx part, cannot carry the C0 control characters other than tab, line
feed and carriage return (openpyxl raises ``IllegalCharacterError`` on them), nor unpaired
surrogates. A value holding one (pasted from a web page or another system) is cleaned in two
places: the reader strips them from every cell it reads, with a warning at the cell
(``control-chars-removed``), so nothing stored carries one; and every writer of a workbook
(reports, exports, the feedback workbook) passes its text through :func:`clean`, so values stored
before this rule, or coming from elsewhere, cannot stop a download.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

#: the characters removed: C0 controls except TAB, LF and CR, and lone surrogates
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
#: the same set for pyarrow.compute (RE2 syntax) on the reader's Arrow strings (never surrogates)
ILLEGAL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"

T = TypeVar("T")


def clean(value: T) -> T | str:
    """A value fit for a cell: text without the illegal characters; anything else as it is."""
    if isinstance(value, str) and ILLEGAL.search(value):
        return ILLEGAL.sub("", value)
    return value


def clean_row(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    """A row of cell values, each cleaned."""
    return [clean(v) for v in values]
