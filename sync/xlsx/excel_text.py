"""Text in the workbooks salesync writes is data, never a formula (OWASP "CSV injection").

A customer name like ``=HYPERLINK("http://…"&B2,"点此")`` or ``=cmd|' /C calc'!A0`` must reach a
report, an export or a feedback file as the text it is. Every writer passes each value through
:func:`safe_text` (or assigns it with :func:`put`):

- numbers, dates and blanks are returned as they are — numbers stay numbers;
- text loses the control characters Excel cannot hold (a file with one would not save);
- text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return becomes a cell whose
  type is *string* (``t="s"`` in the file — never a formula, whatever openpyxl would have guessed)
  with the *quote prefix* style set. That is what Excel itself stores when a user types ``'=1+1``:
  Excel and LibreOffice show the text exactly, without a visible apostrophe, and keep it text when
  the cell is edited and confirmed again. (OWASP's advice for CSV, a leading ``'`` character, would
  show the apostrophe in an .xlsx, since there it is part of the string.)
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

#: the first characters that make a spreadsheet read text as a formula or a command
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def is_risky(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(RISKY_START)


def clean(value: Any) -> Any:
    """Text without the control characters a workbook cannot hold; anything else as it is."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _as_text(cell: Cell, text: str) -> Cell:
    cell._value = text  # type: ignore[attr-defined]  # set as text: no formula guess
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def safe_text(value: Any, sheet: Worksheet | Any = None) -> Any:
    """``value`` for ``sheet.append([...])``: as it is, or (risky text) a text cell of ``sheet``.

    ``sheet`` is the worksheet (or write-only worksheet) the row goes to."""
    value = clean(value)
    if not is_risky(value):
        return value
    return _as_text(Cell(sheet, row=1, column=1), value)


def put(cell: Cell | Any, value: Any) -> None:
    """Assign ``value`` to an existing cell, as :func:`safe_text` would write it."""
    value = clean(value)
    if is_risky(value):
        _as_text(cell, value)
    else:
        cell.value = value
