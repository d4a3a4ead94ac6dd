"""Saved workbook bytes → one frame of raw strings per spec sheet, indexed by the Excel row the user sees.

After :func:`sync.xlsx.safety.inspect` has passed the bytes, fastexcel (calamine) reads every column as a
string. The typing in ``validators.normalize`` relies on these shapes of the cells' values:

- text: as typed, with surrounding whitespace (U+3000 and NBSP too) stripped; "" and blank → null;
- numbers: shortest decimal form, no exponent, no trailing ``.0``: ``13800138000``, ``123.45``,
  ``46000``, ``-0``, ``0.0000001``; fastexcel keeps at most 9 decimals (``1/3`` → ``0.333333333``)
  and prints large floats at that precision (``98765432.120000005``): those are given back as the
  float the cell holds (``98765432.12``);
- dates and date-times (cells with a date format): ``2026-11-26 00:00:00``, ``2026-11-26 14:30:00``;
  a time alone: ``1899-12-31 14:30:00``;
- booleans: ``true`` / ``false``; error values (``#N/A``, ``#DIV/0!``): null.

Headers sit in the first row of the sheet's used range (row 1 of the template) and are matched after
NFKC, trimming and dropping a trailing ``*``, so reordered, padded, full-width and extra columns all
read. Rows with nothing in any spec column are dropped; the index keeps the others' Excel rows.
"""

from __future__ import annotations

import ctypes
import functools
import io
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schema.spec import ColType, Column, Sheet, WorkbookKind
from sync.kinds import all_kinds
from sync.xlsx import safety
from sync.xlsx.stamp import STAMP_SHEET, Stamp
from sync.xlsx.xml_chars import ILLEGAL_RE2
from validators.findings import Finding, Severity

STRING = pd.ArrowDtype(pa.string())
STATUS_HEADER = "同步状态"  # salesync's own feedback column
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_SPACE = (
    " \t\r\n\v\f\u00a0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + _INVISIBLE
)
#: Workbooks from this size on have their sheets read by two threads at once.
PARALLEL_READ_BYTES = 256 * 1024
READ_THREADS = 2
_NINE_DECIMALS = r"^-?\d+\.\d{8}[1-9]$"  # how fastexcel prints a float it had to round
_BARE_NUMBER = r"^\d+(\.\d+)?$"
EPOCH_1904 = np.datetime64("1904-01-01T00:00:00", "s")
HEADER_SEARCH_ROWS = 10  # rows looked through for a header that is not on the first row


@dataclass
class RawSheet:
    spec: Sheet
    frame: pd.DataFrame  # one column per spec field, strings or null; index = Excel row
    extra_headers: list[str] = field(default_factory=list)
    has_status_column: bool = False  # salesync wrote its feedback column into this sheet before


@dataclass
class RawWorkbook:
    kind: WorkbookKind | None
    stamp: Stamp | None
    sheets: dict[str, RawSheet]  # by sheet.entity
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not any(f.structural for f in self.findings)


def peek(data: bytes) -> tuple[WorkbookKind | None, Stamp | None]:
    """The kind and stamp a workbook's hidden sheet names, read from that sheet alone (after the
    safety inspection); None when there is none or the file is unsafe (the ingest then says what
    is wrong)."""
    if safety.inspect(data).findings:
        return None, None
    try:
        reader = fastexcel.read_excel(data)
        if STAMP_SHEET not in reader.sheet_names:
            return None, None
        table = reader.load_sheet(STAMP_SHEET, header_row=None, dtypes="string").to_arrow()
    except fastexcel.FastExcelError:
        return None, None
    stamp = Stamp.from_rows(zip(*(c.to_pylist() for c in table.columns), strict=True))
    return all_kinds().get(stamp.template_id or ""), stamp


def read_workbook(
    data: bytes, kinds: Mapping[str, WorkbookKind] | None = None, *, assume: WorkbookKind | None = None
) -> RawWorkbook:
    """Read a salesync workbook (its kind named by the stamp). With ``assume``, a workbook without
    a stamp is read as that kind too: each sheet of the kind is found by its name or else as the
    first sheet holding all its required headers (a controller's own report sheet)."""
    if kinds is None:
        kinds = all_kinds()
    inspection = safety.inspect(data)
    if inspection.findings:
        return RawWorkbook(None, None, {}, list(inspection.findings))
    try:
        return _read(data, kinds, inspection, assume)
    except fastexcel.FastExcelError as exc:
        return RawWorkbook(None, None, {}, [_unreadable("工作簿", exc)])
    finally:
        _give_back_memory()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, on Linux only: ``ctypes.CDLL(None)`` raises on Windows, and other
    C libraries have no such call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return cast(Callable[[int], int], ctypes.CDLL(None).malloc_trim)
    except (OSError, AttributeError):  # not glibc (musl)
        return None


def _give_back_memory() -> None:
    """Return the heap calamine freed to the OS: glibc keeps a big sheet's many small cell
    allocations otherwise, and a watcher would carry them from one workbook to the next."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _unreadable(what: str, exc: Exception) -> Finding:
    """calamine gave up on bytes that passed the inspection: file-corrupt, with its reason for the operator."""
    reason = str(exc).splitlines()[0].removeprefix("calamine error: ")[:120]
    return Finding("file-corrupt", params={"detail": f"{what}无法读取：{reason}"})


def fold_header(text: str) -> str:
    """A header as compared: NFKC (full-width → ASCII, U+3000 → space), trimmed, without a trailing ``*``."""
    return unicodedata.normalize("NFKC", text).strip(_SPACE).rstrip("*" + _SPACE)


def _by_headers(reader: fastexcel.ExcelReader, spec: Sheet) -> str | None:
    """The first visible sheet whose first row holds every required header of ``spec``."""
    wanted = {fold_header(c.header) for c in spec.columns if c.required} or {
        fold_header(c.header) for c in spec.columns
    }
    for name in reader.sheet_names:
        if name == STAMP_SHEET:
            continue
        first = reader.load_sheet(name, header_row=None, n_rows=1, dtypes="string").to_arrow()
        headers = {fold_header(c[0].as_py()) for c in first.columns if len(c) and c[0].as_py()}
        if wanted <= headers:
            return name
    return None


def _read(
    data: bytes,
    kinds: Mapping[str, WorkbookKind],
    inspection: safety.Inspection,
    assume: WorkbookKind | None = None,
) -> RawWorkbook:
    reader = fastexcel.read_excel(data)
    names, ambiguous = _sheet_names(reader.sheet_names, inspection.hidden_sheets)
    stamp_sheet = names.get(STAMP_SHEET)
    if ambiguous and (stamp_sheet is not None or assume is not None):
        return RawWorkbook(None, None, {}, ambiguous)
    if stamp_sheet is None and assume is not None:
        for spec in assume.sheets:
            key = unicodedata.normalize("NFKC", spec.name).strip()
            if key not in names and (found := _by_headers(reader, spec)) is not None:
                names[key] = found
        return _read_sheets(reader, data, names, assume, None, inspection)
    if stamp_sheet is None:
        return RawWorkbook(None, None, {}, [Finding("not-template")])
    stamp_rows = reader.load_sheet(stamp_sheet, header_row=None, dtypes="string").to_arrow()
    stamp = Stamp.from_rows(zip(*(c.to_pylist() for c in stamp_rows.columns), strict=True))
    if not stamp.template_id:
        return RawWorkbook(None, stamp, {}, [Finding("not-template")])
    kind = kinds.get(stamp.template_id)
    if kind is None:
        return RawWorkbook(None, stamp, {}, [Finding("unknown-kind", value=stamp.template_id)])
    if stamp.template_version != kind.version:
        finding = Finding("template-version", value=stamp.template_version, params={"expected": kind.version})
        return RawWorkbook(kind, stamp, {}, [finding])
    return _read_sheets(reader, data, names, kind, stamp, inspection)


def _sheet_names(sheets: list[str], hidden: frozenset[str]) -> tuple[dict[str, str], list[Finding]]:
    """Sheet names as compared (NFKC, trimmed) → the sheet to read.

    When several sheets compare equal (``客户`` and a hidden ``客户 ``), a visible sheet is read
    rather than a hidden one, and the one named exactly so rather than a look-alike; when that
    still leaves more than one, the workbook is refused (``sheet-ambiguous``) rather than read
    from a sheet the user did not mean."""
    groups: dict[str, list[str]] = {}
    for name in sheets:
        groups.setdefault(unicodedata.normalize("NFKC", name).strip(), []).append(name)
    names: dict[str, str] = {}
    findings: list[Finding] = []
    for key, group in groups.items():
        if len(group) == 1:
            names[key] = group[0]
            continue
        visible = [n for n in group if n not in hidden] or group
        exact = [n for n in visible if n == key]
        chosen = exact if exact else visible
        if len(chosen) == 1:
            names[key] = chosen[0]
        else:
            shown = "、".join(f"“{n}”" for n in group)
            findings.append(Finding("sheet-ambiguous", sheet=key, params={"names": shown}))
    return names, findings


def _read_sheets(
    reader: fastexcel.ExcelReader,
    data: bytes,
    names: dict[str, str],
    kind: WorkbookKind,
    stamp: Stamp | None,
    inspection: safety.Inspection,
) -> RawWorkbook:
    sheets: dict[str, RawSheet] = {}
    findings: list[Finding] = []
    wanted: list[tuple[Sheet, str]] = []
    for spec in kind.sheets:
        name = names.get(unicodedata.normalize("NFKC", spec.name).strip())
        if name is None:
            if spec.required:
                findings.append(Finding("sheet-missing", sheet=spec.name, params={"sheet": spec.name}))
            else:
                sheets[spec.entity] = RawSheet(spec, _empty_frame(spec))
            continue
        wanted.append((spec, name))

    def read(spec: Sheet, name: str, own: bool) -> tuple[RawSheet | None, list[Finding]]:
        # calamine parses a sheet without the GIL: each worker thread reads through a reader of its own
        return _read_sheet(fastexcel.read_excel(data) if own else reader, data, name, spec, inspection)

    parallel = len(wanted) > 1 and len(data) >= PARALLEL_READ_BYTES
    with ThreadPoolExecutor(max_workers=READ_THREADS if parallel else 1) as pool:
        futures = [pool.submit(read, spec, name, parallel) for spec, name in wanted]
        for (spec, name), future in zip(wanted, futures, strict=True):
            try:
                sheet, sheet_findings = future.result()
            except fastexcel.FastExcelError as exc:
                return RawWorkbook(kind, stamp, {}, [_unreadable(f"工作表“{name}”", exc)])
            findings += sheet_findings
            if sheet is not None:
                sheets[spec.entity] = sheet
    findings.sort(key=lambda f: not f.structural)
    return RawWorkbook(kind, stamp, sheets, findings)


def _read_sheet(
    reader: fastexcel.ExcelReader, data: bytes, name: str, spec: Sheet, inspection: safety.Inspection
) -> tuple[RawSheet | None, list[Finding]]:
    sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_whitespace_tail_rows=True)
    batch = sheet.to_arrow()
    available = sheet.available_columns()
    del sheet  # calamine's cells: the Arrow batch holds all that is needed from here on
    if batch.num_rows == 0:
        missing = [c for c in spec.columns if c.required] if spec.required else []
        gone = [Finding("column-missing", sheet=spec.name, header=c.header) for c in missing]
        return (None if missing else RawSheet(spec, _empty_frame(spec))), gone

    by_header = {fold_header(c.header): c for c in spec.columns}
    matched: dict[str, tuple[int, int]] = {}  # field → (batch column, absolute sheet column)
    extra: list[str] = []
    has_status = False
    findings: list[Finding] = []
    for position, info in enumerate(available):
        title = batch.column(position)[0].as_py()
        folded = fold_header(title) if title else ""
        col = by_header.get(folded)
        if col is None:
            if folded == STATUS_HEADER:
                has_status = True
            elif folded:
                extra.append(title.strip())
        elif col.field in matched:
            findings.append(Finding("column-duplicate", sheet=spec.name, header=col.header))
        else:
            matched[col.field] = (position, info.absolute_index)
    missing = [c for c in spec.columns if c.required and c.field not in matched]
    header_row = inspection.first_rows.get(name) or _first_row(data, name)
    if missing:
        found = _header_below(batch, spec)
        if found is not None:
            return None, [
                Finding(
                    "header-not-first-row",
                    sheet=spec.name,
                    params={"found": header_row + found, "expected": 1},
                )
            ]
    findings += [Finding("column-missing", sheet=spec.name, header=c.header) for c in missing]
    if findings:
        return None, findings

    body = batch.slice(1)
    columns = {
        c.field: _clean(body.column(matched[c.field][0]))
        if c.field in matched
        else pa.nulls(len(body), pa.string())
        for c in spec.columns
    }
    del batch, body  # the raw strings of every column, extra ones too: only the cleaned are kept
    controls = _strip_controls(columns)
    if inspection.date1904:
        for col in spec.columns:
            if col.type in (ColType.DATE, ColType.DATETIME) and col.field in matched:
                columns[col.field] = _from_1904(columns[col.field])
    filled = functools.reduce(pc.or_, (pc.is_valid(a) for a in columns.values()))
    table = pa.table(columns)
    del columns
    if not pc.all(filled).as_py():
        table = table.filter(filled)  # rows left blank in the middle of the sheet
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    del table
    frame.index = pd.Index(np.flatnonzero(filled.to_numpy(zero_copy_only=False)) + header_row + 1)

    by_column = {absolute: spec.column(f) for f, (_, absolute) in matched.items()}
    findings += _formula_findings(spec, inspection.formula_cells.get(name, []), by_column, frame.index)
    findings += _control_findings(spec, controls, frame, header_row)
    frame.attrs["present"] = [c.field for c in spec.columns if c.field in matched]
    return RawSheet(spec, frame, extra, has_status), findings


def _clean(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Trimmed strings, "" as null, fastexcel's rounded floats given back as the cell holds them."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = pc.utf8_trim(values.cast(pa.string()), _SPACE)
    values = pc.if_else(pc.equal(pc.binary_length(values), 0), pa.nulls(len(values), pa.string()), values)
    rounded = pc.match_substring_regex(values, _NINE_DECIMALS)
    if pc.any(rounded).as_py():
        texts = values.to_pylist()
        for i in pc.indices_nonzero(rounded).to_pylist():
            shortest = repr(float(texts[i]))
            if "e" not in shortest and len(shortest) < len(texts[i]):
                texts[i] = shortest
        values = pa.array(texts, pa.string())
    return values


def _header_below(batch: pa.RecordBatch, spec: Sheet) -> int | None:
    """The offset of the first row below the top one that holds every required header, if any:
    the sheet has title rows above its header."""
    wanted = {fold_header(c.header) for c in spec.columns if c.required}
    for offset in range(1, min(batch.num_rows, HEADER_SEARCH_ROWS)):
        cells = {
            fold_header(v) for v in (batch.column(i)[offset].as_py() for i in range(batch.num_columns)) if v
        }
        if wanted and wanted <= cells:
            return offset
    return None


def _strip_controls(columns: dict[str, pa.Array]) -> dict[str, np.ndarray]:
    """Take out the characters a workbook cannot hold (``sync.xlsx.xml_chars``), in place; the mask of
    cells that held any, by field."""
    out: dict[str, np.ndarray] = {}
    for field_name, values in columns.items():
        hit = pc.match_substring_regex(values, ILLEGAL_RE2)
        if pc.any(hit).as_py():
            out[field_name] = np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
            columns[field_name] = _clean(pc.replace_substring_regex(values, ILLEGAL_RE2, ""))
    return out


def _control_findings(
    spec: Sheet, controls: dict[str, np.ndarray], frame: pd.DataFrame, header_row: int
) -> list[Finding]:
    """A warning at each kept cell that held control characters: its value is taken without them."""
    findings = []
    kept = set(frame.index)
    for field_name, mask in controls.items():
        col = spec.column(field_name)
        for i in np.flatnonzero(mask):
            row = int(i) + header_row + 1
            if row in kept:
                value: Any = frame.at[row, field_name]
                findings.append(
                    Finding(
                        "control-chars-removed",
                        sheet=spec.name,
                        row=row,
                        header=col.header,
                        value=None if pd.isna(value) else str(value),
                        severity=Severity.WARNING,
                    )
                )
    return findings


def _from_1904(values: pa.Array) -> pa.Array:
    """Bare serial numbers in a date column of a 1904-date workbook, as the date they mean there
    (calamine converts date-formatted cells itself; a bare number would read four years early)."""
    bare = pc.fill_null(pc.match_substring_regex(values, _BARE_NUMBER), False)
    if not pc.any(bare).as_py():
        return values
    texts = values.to_pylist()
    for i in np.flatnonzero(np.asarray(bare.to_numpy(zero_copy_only=False), dtype=bool)):
        seconds = round(float(texts[i]) * 86400)
        texts[i] = str((EPOCH_1904 + np.timedelta64(seconds, "s")).astype("datetime64[s]")).replace("T", " ")
    return pa.array(texts, pa.string())


def _formula_findings(
    spec: Sheet, refs: list[str], by_column: dict[int, Column], rows: pd.Index
) -> list[Finding]:
    """formula-no-value on kept rows of spec columns; a formula with no cell reference is structural."""
    if not refs:
        return []
    findings = []
    kept = set(rows)
    for ref in refs:
        cell = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
        if cell is None:
            findings.append(Finding("formula-no-value", sheet=spec.name, params={"cell": ref or "?"}))
            continue
        col = by_column.get(_col_index(cell.group(1)))
        row = int(cell.group(2))
        if col is not None and row in kept:
            findings.append(
                Finding("formula-no-value", sheet=spec.name, row=row, header=col.header, params={"cell": ref})
            )
    return findings


def _empty_frame(spec: Sheet) -> pd.DataFrame:
    return pd.DataFrame(
        {f: pd.Series([], dtype=STRING) for f in spec.fields}, index=pd.Index([], dtype="int64")
    )


def _first_row(data: bytes, name: str) -> int:
    """Where calamine's range starts, when the inspection saw no value it recognised in the sheet."""
    import python_calamine

    start = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(name).start
    return start[0] + 1 if start else 1


def _col_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1
