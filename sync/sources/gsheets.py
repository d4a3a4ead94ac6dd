"""A registered Google Sheet as a source (:mod:`sync.sources.base`): read as a snapshot, marked back.

:meth:`GoogleSheetSource.fetch` makes two calls — the spreadsheet's tabs, then every data tab's
values in one ``values:batchGet`` — and lays the values into the ``.xlsx`` snapshot the version keeps
(:mod:`sync.sources.snapshot`), stamped with the registration's workbook and accepted version, so
the pipeline continues that workbook exactly as it continues a stamped file.

:meth:`GoogleSheetSource.write_back` puts the status column and cell notes into the sheet in at most
two calls (``values:batchUpdate`` and ``:batchUpdate``), touching only the rows whose status text
changes: a row left as it was accepted keeps its "✓ 已同步 vN". salesync owns the notes of
the data cells of the rows it marks: it clears them on those rows before writing its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openpyxl.utils import get_column_letter

from schema.spec import WorkbookKind
from sync.sources.base import Fetched, SourceUnavailable
from sync.sources.gsheets_api import SheetsApi
from sync.sources.snapshot import Tab, as_cell, build_snapshot, match_tabs, values_digest
from sync.xlsx.reader import STATUS_HEADER, RawWorkbook, fold_header, read_workbook
from sync.xlsx.stamp import Stamp

if TYPE_CHECKING:
    from sync.core.store import Store
    from sync.pipeline.outcome import Outcome

log = logging.getLogger("salesync.sources.gsheets")

PROVIDER = "gsheets"
SYNCED = "✓ 已同步"


@dataclass
class GoogleSheetSource:
    """The spreadsheet ``key``, entered as ``kind``; ``stamp`` continues its workbook (None: new)."""

    api: SheetsApi
    key: str
    kind: WorkbookKind
    stamp: Stamp | None = None
    label: str = ""  # how messages name the sheet (its title or link)
    title: str | None = None  # the spreadsheet's title, once fetched
    tabs: list[Tab] = field(default_factory=list)
    digest: str | None = None  # of the values (sync.sources.snapshot.values_digest), once fetched
    write_back_error: SourceUnavailable | None = None

    @property
    def location(self) -> str:
        return f"{PROVIDER}:{self.key}"

    def fetch(self) -> Fetched:
        name = self.label or self.key
        meta = self.api.metadata(self.key, name)
        self.title = str(meta.get("properties", {}).get("title") or "") or None
        listed = [
            (str(s["properties"]["title"]), int(s["properties"].get("sheetId", 0)))
            for s in meta.get("sheets", [])
        ]
        found = match_tabs(self.kind, listed)
        specs = [spec for spec in self.kind.sheets if spec.name in found]
        if specs:
            values = self.api.values(self.key, [found[s.name][0] for s in specs], name)
            if len(values) != len(specs):
                raise SourceUnavailable("sheet-api", status=200, detail="values:batchGet 返回的范围数不符")
        else:
            values = []
        self.tabs = [
            Tab(spec, found[spec.name][0], found[spec.name][1], [[as_cell(v) for v in row] for row in rows])
            for spec, rows in zip(specs, values, strict=True)
        ]
        self.digest = values_digest(self.kind, self.tabs)
        stamp = self.stamp or Stamp(self.kind.id, self.kind.version)
        return Fetched.of(build_snapshot(self.tabs, stamp))

    def read(self, fetched: Fetched) -> RawWorkbook:
        return read_workbook(fetched.data)

    def write_back(
        self, store: Store, fetched: Fetched, outcome: Outcome, stamp: Stamp | None, *, annotate: bool
    ) -> None:
        """Status and notes into the sheet; a failure is kept in ``write_back_error``, never raised
        (the version is committed: the next sync reads the sheet again and marks it then)."""
        try:
            values, requests_ = self.marks(outcome)
            self.api.write_values(self.key, values, self.label)
            self.api.batch_update(self.key, requests_, self.label)
        except SourceUnavailable as exc:
            log.warning("could not mark %s: %s", self.location, exc)
            self.write_back_error = exc

    def marks(self, outcome: Outcome) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The value ranges and the batchUpdate requests that bring the sheet's marks up to date."""
        synced = f"{SYNCED} v{outcome.seq}" if outcome.seq else SYNCED
        wanted = outcome.status_texts(synced)
        notes: dict[tuple[str, int, str], list[str]] = {}
        for f in outcome.findings:
            if f.sheet and f.row and f.header:
                notes.setdefault((f.sheet, f.row, f.header), []).append(f.message("zh"))
        values: list[dict[str, Any]] = []
        requests_: list[dict[str, Any]] = []
        for tab in self.tabs:
            if not tab.header_row:
                continue
            by_row = wanted.get(tab.spec.name, {})
            shown = {r for r in range(tab.header_row + 1, len(tab.rows) + 1) if tab.status(r)}
            settled = outcome.unchanged_rows.get(tab.spec.name, set())
            changed = sorted(
                r for r in shown | set(by_row) if _differs(tab.status(r), by_row.get(r, ""), r in settled)
            )
            if not changed:
                continue
            column = tab.status_column if tab.status_column is not None else tab.width
            letter = get_column_letter(column + 1)
            if tab.status_column is None:
                values.append(_cell(tab.title, f"{letter}{tab.header_row}", STATUS_HEADER))
            for row in changed:
                values.append(_cell(tab.title, f"{letter}{row}", by_row.get(row, "")))
                requests_.append(_notes(tab.sheet_id, row, 0, tab.width, [""] * tab.width))
            for row in changed:
                for (sheet, r, header), messages in notes.items():
                    col = tab.columns.get(fold_header(header))
                    if sheet == tab.spec.name and r == row and col is not None:
                        requests_.append(_notes(tab.sheet_id, row, col, col + 1, ["\n".join(messages)]))
        return values, requests_


def _differs(now: str, wanted: str, settled: bool) -> bool:
    """A row is rewritten when its text changes, except a synced row left as it was accepted."""
    if settled and now.startswith(SYNCED) and wanted.startswith(SYNCED):
        return False
    return now != wanted


def _cell(title: str, ref: str, value: str) -> dict[str, Any]:
    quoted = "'" + title.replace("'", "''") + "'"
    return {"range": f"{quoted}!{ref}", "values": [[value]]}


def _notes(sheet_id: int, row: int, start: int, end: int, texts: list[str]) -> dict[str, Any]:
    """Set (or with "", clear) the notes of cells ``start``..``end`` of ``row`` (1-based)."""
    cells: list[Mapping[str, Any]] = [{"note": t} if t else {} for t in texts]
    return {
        "updateCells": {
            "range": {
                "sheetId": sheet_id,
                "startRowIndex": row - 1,
                "endRowIndex": row,
                "startColumnIndex": start,
                "endColumnIndex": end,
            },
            "rows": [{"values": cells}],
            "fields": "note",
        }
    }
