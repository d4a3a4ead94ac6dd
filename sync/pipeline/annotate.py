"""The marks salesync writes into an author's own workbook, as edits of its parts (§7).

Each data row gets its outcome in the ``同步状态`` column (reused, or added after the last
header); each cell a finding names is filled (red for errors, yellow for warnings) and gets a
note, unless the author already has a note there. Marks of an earlier write are cleared first —
fills that are ours (Excel's built-in 差/适中 styles use the same colours with their own font
colour, and stay) and notes whose author is salesync. Everything else in the file is the
author's and is copied byte for byte (:mod:`sync.xlsx.patch`); when the workbook holds something
the patcher cannot edit safely, :class:`~sync.xlsx.patch.Unsupported` is raised and nothing is
written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from sync.pipeline.outcome import Outcome
from sync.xlsx.patch.book import Book
from sync.xlsx.patch.sheet import Cell, Header, SheetEdit
from sync.xlsx.patch.styles import Styles
from sync.xlsx.stamp import STAMP_SHEET, Stamp
from sync.xlsx.stamp_write import StampError, write_stamp
from validators.findings import Finding, Severity

STATUS_HEADER = "同步状态"
AUTHOR = "salesync"
ERROR_RGB = "FFFFC7CE"
WARNING_RGB = "FFFFEB9C"
STATUS_WIDTH = 30.0
# Excel's built-in 差/适中 (Bad/Neutral) cell styles use our two fills with these font colours:
# a cell carrying one of them is the user's, not a mark of ours.
BUILTIN_STYLE_FONTS = {ERROR_RGB: "FF9C0006", WARNING_RGB: "FF9C5700"}


def header_key(value: Any) -> str:
    """A header as the columns are matched: without spaces and a trailing ``*``."""
    return str(value).strip().rstrip("*＊").strip() if value is not None else ""


def header_columns(header: Header) -> dict[str, int]:
    """Header text → column number, the first column of each text."""
    columns: dict[str, int] = {}
    for column, (value, _style) in sorted(header.items()):
        key = header_key(value)
        if key and key not in columns:
            columns[key] = column
    return columns


class _OurFills:
    """Which cell formats are a mark of ours, asked once per format."""

    def __init__(self, styles: Styles) -> None:
        self.styles = styles
        self.known: dict[int, bool] = {}
        self._all: frozenset[int] | None = None

    def all(self) -> frozenset[int]:
        """Every format that is a mark of ours: the cells that may need clearing carry one."""
        if self._all is None:
            self._all = frozenset(xf for xf in range(len(self.styles.xf_attrs)) if self(xf))
        return self._all

    def __call__(self, xf: int) -> bool:
        if xf not in self.known:
            rgb = self.styles.fill_of(xf)
            self.known[xf] = (
                rgb in BUILTIN_STYLE_FONTS and self.styles.font_color_of(xf) != BUILTIN_STYLE_FONTS[rgb]
            )
        return self.known[xf]


def _findings_by_cell(findings: Iterable[Finding]) -> dict[str, dict[tuple[int, str], list[Finding]]]:
    by_sheet: dict[str, dict[tuple[int, str], list[Finding]]] = {}
    for f in findings:
        if f.sheet and f.row and f.header:
            by_sheet.setdefault(f.sheet, {}).setdefault((f.row, header_key(f.header)), []).append(f)
    return by_sheet


def annotated(data: bytes, outcome: Outcome, stamp: Stamp | None = None) -> bytes:
    """``data`` with the status column, the marks and ``stamp`` written in; raises ``Unsupported``."""
    if stamp is not None:
        with contextlib.suppress(StampError):  # a workbook not made from a template has no stamp sheet
            data = write_stamp(data, stamp)
    book = Book(data)
    ours = _OurFills(book.styles)
    synced = f"✓ 已同步 v{outcome.seq}" if outcome.seq else "✓ 已同步"
    statuses = outcome.status_texts(synced)  # a collided row says whose customer it stays
    marks = _findings_by_cell(outcome.findings)
    sheets: dict[str, bytes] = {}
    for sheet in book.sheets:
        if sheet.name == STAMP_SHEET:
            continue
        notes: dict[Cell, str] = {}

        def decide(header: Header, name: str = sheet.name, notes: dict[Cell, str] = notes) -> SheetEdit:
            return _sheet_edit(book.styles, ours, header, statuses.get(name, {}), marks.get(name, {}), notes)

        edited = book.edit_sheet(sheet, decide)
        book.set_notes(sheet, edited, AUTHOR, notes, remove_own=True)
        if edited.splice:
            sheets[sheet.part] = edited.content()
    return book.save(sheets)


def _sheet_edit(
    styles: Styles,
    ours: _OurFills,
    header: Header,
    statuses: dict[int, str],
    findings: dict[tuple[int, str], list[Finding]],
    notes: dict[Cell, str],
) -> SheetEdit:
    columns = header_columns(header)
    edit = SheetEdit()
    if statuses:
        column = columns.get(STATUS_HEADER)
        if column is None:
            column = max(columns.values(), default=0) + 1
            edit.texts[(1, column)] = STATUS_HEADER
            if column > 1 and column - 1 in header:  # look like the template's header
                edit.base_style[(1, column)] = header[column - 1][1]
            edit.widths[column] = STATUS_WIDTH
        for row, status in statuses.items():
            edit.texts[(row, column)] = status
        edit.clear_column = column
    fills: dict[Cell, str] = {}
    for (row, key), found in findings.items():
        column = columns.get(key)
        if column is None:
            continue
        cell = (row, column)
        fills[cell] = ERROR_RGB if any(f.severity is Severity.ERROR for f in found) else WARNING_RGB
        notes[cell] = "\n".join(f.message("zh") for f in found)
    edit.create = set(fills)

    def restyle(cell: Cell, xf: int) -> int:
        if ours(xf):
            xf = styles.unfilled(xf)
        rgb = fills.get(cell)
        return styles.filled(xf, rgb) if rgb is not None else xf

    edit.restyle = restyle
    edit.restyled = ours.all()
    return edit
