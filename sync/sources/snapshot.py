"""An online sheet's values as the ``.xlsx`` bytes a version keeps, and the digest that says "changed".

The values are laid into a workbook at the cells they occupy online (row 1 is row 1), with the
stamp sheet the registration implies; :func:`sync.xlsx.reader.read_workbook` then reads it exactly as
it reads a saved file — header row, normalisation, findings — so there is one reader, not two.
The same values and stamp always give the same bytes (fixed times, a normalised archive).

The digest that decides whether a sheet changed covers the kind and the values of its data tabs,
without salesync's own status column: writing the status back is not a change by the author.
"""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from schema.spec import Sheet, WorkbookKind
from sync.xlsx.reader import STATUS_HEADER, fold_header
from sync.xlsx.stamp import STAMP_SHEET, Stamp
from sync.xlsx.templates import FIXED_TIME, _normalised_zip

Cell = str | int | float | bool | None


def _key(title: str) -> str:
    """A sheet title as the reader matches it (NFKC, trimmed)."""
    return unicodedata.normalize("NFKC", title).strip()


@dataclass
class Tab:
    """One tab of an online sheet that holds a spec sheet of the kind, as last read."""

    spec: Sheet
    title: str  # as named online
    sheet_id: int
    rows: list[list[Cell]]  # from row 1; "" for an empty cell
    header_row: int = 0  # 1-based; 0 when the tab is empty
    columns: dict[str, int] = field(default_factory=dict)  # folded header → 0-based column
    status_column: int | None = None  # 0-based column of 同步状态, when the tab has one
    width: int = 0  # columns in the header row

    def __post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if any(_filled(v) for v in row):
                self.header_row = number
                break
        if self.header_row:
            headers = self.rows[self.header_row - 1]
            self.width = len(headers)
            for index, value in enumerate(headers):
                folded = fold_header(str(value)) if _filled(value) else ""
                if folded == STATUS_HEADER:
                    self.status_column = index
                elif folded and folded not in self.columns:
                    self.columns[folded] = index

    def status(self, row: int) -> str:
        """The status text the tab shows now at ``row`` (1-based)."""
        if self.status_column is None or row > len(self.rows):
            return ""
        cells = self.rows[row - 1]
        return str(cells[self.status_column]) if self.status_column < len(cells) else ""

    def authored(self) -> list[list[Cell]]:
        """The rows without the status column and without trailing blanks: what the author typed."""
        out = []
        for row in self.rows:
            cells = [v for i, v in enumerate(row) if i != self.status_column]
            while cells and not _filled(cells[-1]):
                cells.pop()
            out.append(cells)
        while out and not out[-1]:
            out.pop()
        return out


def _filled(value: Cell) -> bool:
    return value is not None and value != ""


def match_tabs(kind: WorkbookKind, titles: Iterable[tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """The online tab (title, id) of each spec sheet, by name as the reader matches names."""
    found = {}
    by_key = {_key(title): (title, sheet_id) for title, sheet_id in titles}
    for spec in kind.sheets:
        tab = by_key.get(_key(spec.name))
        if tab is not None:
            found[spec.name] = tab
    return found


def values_digest(kind: WorkbookKind, tabs: Sequence[Tab]) -> str:
    """What decides "changed": the kind, and each data tab's authored values."""
    payload = [kind.id, kind.version, *([tab.spec.name, tab.authored()] for tab in tabs)]
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def build_snapshot(tabs: Sequence[Tab], stamp: Stamp) -> bytes:
    """The values as an ``.xlsx`` workbook named by ``stamp``; identical input, identical bytes."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for tab in tabs:
        ws = wb.create_sheet(tab.spec.name)
        for r, row in enumerate(tab.rows, start=1):
            for c, value in enumerate(row, start=1):
                if not _filled(value):
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
    stamp_ws = wb.create_sheet(STAMP_SHEET)
    stamp_ws.sheet_state = "hidden"
    for key, value in stamp.rows():
        stamp_ws.append([key, value if isinstance(value, int) else str(value)])
    if wb.sheetnames[0] == STAMP_SHEET:
        wb.create_sheet("Sheet1", 0)  # a workbook needs a visible sheet
    wb.active = 0
    wb.properties.creator = "salesync"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return _normalised_zip(buffer.getvalue())


def as_cell(value: Any) -> Cell:
    """A value from the Sheets API (UNFORMATTED_VALUE, dates as formatted strings) as a cell."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)
