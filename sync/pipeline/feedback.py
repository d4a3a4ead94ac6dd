"""Each row's outcome back to its author (§7): a result workbook beside the file, and marks in the file.

``write_result_workbook`` always writes ``<stem>.反馈.xlsx`` next to the saved workbook.
``annotate_workbook`` writes into the workbook itself — a ``同步状态`` column, the bad cells filled and
commented — but only when it is safe: Excel or LibreOffice does not have the file open and the bytes
are still those that were validated. Both write atomically (a temp file beside the target, then
``os.replace``). This module is the one boundary that turns findings into words for workbooks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import copy
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from schema.base import SHANGHAI
from sync.pipeline.outcome import Outcome
from sync.xlsx.stamp import STAMP_SHEET, Stamp
from validators.findings import Finding, Severity, cached_message

RESULT_SUFFIX = ".反馈.xlsx"
TEMP_PREFIX = ".~salesync-"  # our own half-written files; the watcher ignores them like feedback files
STATUS_HEADER = "同步状态"
AUTHOR = "salesync"
ERROR_RGB = "FFFFC7CE"
WARNING_RGB = "FFFFEB9C"
# Excel's built-in 差/适中 (Bad/Neutral) cell styles use our two fills with these font colours:
# a cell carrying one of them is the user's, not a mark of ours.
_BUILTIN_STYLE_FONTS = {ERROR_RGB: "FF9C0006", WARNING_RGB: "FF9C5700"}

WORDS: dict[str, tuple[str, str]] = {
    "summary": ("概要", "Summary"),
    "findings": ("问题", "Findings"),
    "collisions": ("撞单", "Collisions"),
    "file": ("文件", "File"),
    "account": ("账号", "Account"),
    "result": ("结果", "Result"),
    "version": ("版本", "Version"),
    "based_on": ("基于版本", "Based on"),
    "seen_at": ("收到时间", "Received"),
    "rows": ("总行数", "Rows"),
    "accepted": ("接收", "Accepted"),
    "rejected": ("拒收", "Rejected"),
    "written": ("写入", "Written"),
    "conflicts": ("冲突", "Conflicts"),
    "left_out": ("未列出", "Not listed"),
    "error": ("错误", "Error"),
    "warning": ("提醒", "Warning"),
    "sheet": ("工作表", "Sheet"),
    "row": ("行号", "Row"),
    "column": ("列", "Column"),
    "value": ("值", "Value"),
    "severity": ("严重程度", "Severity"),
    "code": ("代码", "Code"),
    "message": ("说明", "Message"),
    "phone": ("手机号码", "Mobile"),
    "owner": ("归属人", "Owner"),
    "since": ("首次录入时间", "First entered"),
}


def _word(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return en if lang == "en" else zh


# -- paths -----------------------------------------------------------------------------------------


def result_path(path: Path) -> Path:
    """The result workbook beside ``path``: ``客户登记.xlsx`` → ``客户登记.反馈.xlsx``."""
    return path.with_name(path.stem + RESULT_SUFFIX)


def is_feedback_file(path: Path) -> bool:
    """A file this module writes (a result workbook or a temp file): the watcher ignores it."""
    name = path.name
    return name.casefold().endswith(RESULT_SUFFIX) or name.startswith(TEMP_PREFIX)


def excel_lock_paths(path: Path) -> list[Path]:
    """The owner files an office suite keeps beside ``path`` while it has it open.

    Excel writes ``~$`` + the name, but for long names replaces the name's first two characters
    (``Quarterly.xlsx`` → ``~$arterly.xlsx``); LibreOffice writes ``.~lock.<name>#``.
    """
    name = path.name
    names = dict.fromkeys([f"~${name}", f"~${name[2:]}", f".~lock.{name}#"])
    return [path.with_name(n) for n in names]


def is_open(path: Path) -> bool:
    """Whether Excel or LibreOffice has ``path`` open (one of its owner files exists)."""
    return any(p.exists() for p in excel_lock_paths(path))


# -- writing files ---------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def replace_atomically(path: Path, data: bytes, *, still_safe: Callable[[], bool] | None = None) -> bool:
    """Write ``data`` to a temp file beside ``path`` and move it over ``path``.

    ``still_safe`` is asked just before the move; when it says no, nothing changes and the
    answer is False. An existing file's permission bits carry over to the new one.
    """
    tmp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        if still_safe is not None and not still_safe():
            tmp.unlink()
            return False
        os.replace(tmp, path)
        return True
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _text(value: Any) -> Any:
    """A value safe for a cell: no control characters Excel refuses."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _put(ws: Worksheet, row: int, column: int, value: Any) -> None:
    """Set a cell to ``value`` as data: text that starts with ``=`` stays text, never a formula."""
    cell = ws.cell(row, column)
    cell.value = _text(value)
    if cell.data_type == "f":
        cell.data_type = "s"


def _shanghai(value: Any) -> Any:
    """Datetimes as Beijing time ``YYYY-MM-DD HH:MM:SS`` (naive ones are UTC); other values as given."""
    if not isinstance(value, dt.datetime):
        return value
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


# -- the result workbook ---------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")


# openpyxl's write-only sheet: at run time it has the column_dimensions, freeze_panes and
# auto_filter of a worksheet, which its type stubs leave out
Streamed = Any

#: Warnings of one code listed in the result workbook; past it, the 概要 sheet counts the rest.
#: Errors and collisions are always listed in full.
WARNINGS_LISTED = 1000


def _data(ws: Streamed, value: Any) -> Any:
    """A value for a streamed row, as data: text that starts with ``=`` stays text, never a formula."""
    value = _text(value)
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def _header(ws: Streamed, text: str, fill: bool = True) -> Cell:
    cell = WriteOnlyCell(ws, text)
    cell.font = _HEADER_FONT
    if fill:
        cell.fill = _HEADER_FILL
    return cell


def _table(
    ws: Streamed, columns: Sequence[tuple[str, int]], lang: str, rows: Iterable[Sequence[Any]]
) -> None:
    """A list sheet, streamed: a styled, frozen header with an autofilter, and one row per item."""
    for c, (_key, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    ws.append([_header(ws, _word(key, lang)) for key, _width in columns])
    count = 0
    for values in rows:
        ws.append([_data(ws, value) for value in values])
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"


def _summary(ws: Streamed, outcome: Outcome, lang: str, left_out: Mapping[str, int]) -> None:
    structural = [f for f in outcome.findings.single if f.structural]
    lines: list[tuple[str, Any]] = [
        ("file", outcome.path),
        ("account", outcome.account),
        ("result", outcome.verdict.title_zh if lang != "en" else outcome.verdict.value),
        ("version", f"v{outcome.seq}" if outcome.seq else None),
        ("based_on", f"v{outcome.based_on_seq}" if outcome.based_on_seq else None),
        ("seen_at", _shanghai(outcome.seen_at)),
        ("rows", outcome.rows_total),
        ("accepted", outcome.rows_accepted),
        ("rejected", outcome.rows_rejected),
        ("written", outcome.rows_written),
        ("collisions", len(outcome.collisions)),
        ("conflicts", len(outcome.conflicts)),
    ]
    if structural:
        lines.append(("error", structural[0].message(lang)))
    for code, count in left_out.items():
        lines.append(
            (
                "left_out",
                f"{code}：另有 {count} 条提醒未列出，均已记入系统"
                if lang != "en"
                else f"{code}: {count} more warnings not listed; salesync keeps them all",
            )
        )
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 70
    for key, value in lines:
        ws.append([_header(ws, _word(key, lang), fill=False), _data(ws, value)])


def _owner(finding: Finding, lang: str) -> str:
    name, account = finding.params.get("owner_name"), finding.params.get("owner")
    if name and account:
        return f"{name}（{account}）" if lang != "en" else f"{name} ({account})"
    return str(name or account or "")


FINDING_COLUMNS = (
    ("sheet", 12),
    ("row", 8),
    ("column", 14),
    ("value", 20),
    ("severity", 10),
    ("code", 20),
    ("message", 80),
)
COLLISION_COLUMNS = (("sheet", 12), ("row", 8), ("phone", 16), ("owner", 22), ("since", 20), ("message", 80))


def write_result_workbook(path: Path, outcome: Outcome, *, lang: str = "zh") -> Path:
    """Write the result workbook of ``outcome`` beside ``path`` (sheets 概要, 问题, 撞单); return its path."""
    wb = Workbook(write_only=True)  # streamed, and never more than WARNINGS_LISTED of one warning
    # every error and collision; a first import of an old workbook brings a late entry per customer
    listed, left_out = outcome.findings.first(
        WARNINGS_LISTED, in_full=lambda f: f.severity is Severity.ERROR or f.code == "collision"
    )
    _summary(wb.create_sheet(_word("summary", lang)), outcome, lang, left_out)

    findings = sorted(listed, key=lambda f: (f.sheet or "", f.row or 0))
    severity = {Severity.ERROR: _word("error", lang), Severity.WARNING: _word("warning", lang)}
    words: dict[tuple[Any, ...], str] = {}
    _table(
        wb.create_sheet(_word("findings", lang)),
        FINDING_COLUMNS,
        lang,
        (
            (f.sheet, f.row, f.header, f.value, severity[f.severity], f.code, cached_message(f, words, lang))
            for f in findings
        ),
    )
    _table(
        wb.create_sheet(_word("collisions", lang)),
        COLLISION_COLUMNS,
        lang,
        (
            (f.sheet, f.row, f.value, _owner(f, lang), _shanghai(f.params.get("since")), f.message(lang))
            for f in findings
            if f.code == "collision"
        ),
    )
    target = result_path(path)
    replace_atomically(target, _workbook_bytes(wb))
    return target


# -- marks in the author's own workbook ------------------------------------------------------------


def _fill(rgb: str) -> PatternFill:
    return PatternFill("solid", fgColor=rgb)


def _is_our_fill(cell: Cell) -> bool:
    fill = cell.fill
    rgb = fill.fgColor.rgb if fill is not None and fill.fill_type == "solid" else None
    if rgb not in _BUILTIN_STYLE_FONTS:
        return False
    font_color = cell.font.color.rgb if cell.font is not None and cell.font.color is not None else None
    return font_color != _BUILTIN_STYLE_FONTS[rgb]


def _clear_marks(ws: Worksheet) -> None:
    """Remove an earlier annotation's comments and fills; the user's own stay."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell):
                continue
            if cell.comment is not None and cell.comment.author == AUTHOR:
                cell.comment = None
            if _is_our_fill(cell):
                cell.fill = PatternFill(fill_type=None)


def _header_key(value: Any) -> str:
    return str(value).strip().rstrip("*＊").strip() if value is not None else ""


def _columns(ws: Worksheet) -> dict[str, int]:
    """Header text (without spaces and a trailing ``*``) → column number, from row 1."""
    columns: dict[str, int] = {}
    for number, cell in enumerate(ws[1], start=1):
        key = _header_key(cell.value)
        if key and key not in columns:
            columns[key] = number
    return columns


def _write_status(ws: Worksheet, statuses: dict[int, str]) -> None:
    """Fill the 同步状态 column (reused, or added after the last header) and clear stale statuses."""
    column = _columns(ws).get(STATUS_HEADER)
    if column is None:
        used = [n for n, cell in enumerate(ws[1], start=1) if _header_key(cell.value)]
        column = max(used, default=0) + 1
        header = ws.cell(1, column, STATUS_HEADER)
        if column > 1:  # look like the template's header
            left = ws.cell(1, column - 1)
            header.font = cast(Font, copy(left.font))
            header.fill = cast(PatternFill, copy(left.fill))
            header.border = cast(Border, copy(left.border))
            header.alignment = cast(Alignment, copy(left.alignment))
        ws.column_dimensions[get_column_letter(column)].width = 30
    for row in range(2, max(ws.max_row, *statuses, 1) + 1):
        _put(ws, row, column, statuses.get(row))


def _comment(messages: list[str]) -> Comment:
    lines = sum(len(m) // 20 + 1 for m in messages)
    return Comment("\n".join(messages), AUTHOR, height=24 + 18 * lines, width=260)


def _mark_cells(sheets: dict[str, Worksheet], findings: Iterable[Finding]) -> None:
    """Fill and comment every cell a finding names: red for errors, yellow for warnings."""
    by_cell: dict[tuple[str, int, str], list[Finding]] = {}
    for f in findings:
        if f.sheet and f.row and f.header:
            by_cell.setdefault((f.sheet, f.row, f.header), []).append(f)
    for (sheet, row, header), found in by_cell.items():
        ws = sheets.get(sheet)
        column = _columns(ws).get(_header_key(header)) if ws is not None else None
        cell = ws.cell(row, column) if ws is not None and column else None
        if cell is None or isinstance(cell, MergedCell):
            continue
        error = any(f.severity is Severity.ERROR for f in found)
        cell.fill = _fill(ERROR_RGB if error else WARNING_RGB)
        if cell.comment is None:  # never overwrite the user's own note; the fill and status still show
            cell.comment = _comment([f.message("zh") for f in found])


def _write_stamp(wb: Workbook, stamp: Stamp) -> None:
    ws = wb[STAMP_SHEET] if STAMP_SHEET in wb.sheetnames else wb.create_sheet(STAMP_SHEET)
    ws.delete_rows(1, ws.max_row)
    for key, value in stamp.rows():
        ws.append([key, value])
    if ws.sheet_state == "visible":
        ws.sheet_state = "hidden"


def _current_sha256(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except FileNotFoundError:
        return None


def annotate_workbook(
    path: Path, outcome: Outcome, *, expected_sha256: str, stamp: Stamp | None = None
) -> str | None:
    """Write the status column, cell marks and ``stamp`` into the workbook at ``path``.

    Returns the SHA-256 of the bytes written, or None (nothing changed) when the file is open in
    an office suite or no longer has the bytes ``expected_sha256`` names.
    """
    if is_open(path):
        return None
    try:
        original = path.read_bytes()
    except FileNotFoundError:
        return None
    if _sha256(original) != expected_sha256:
        return None

    wb = load_workbook(io.BytesIO(original), rich_text=True)
    sheets: dict[str, Worksheet] = {
        ws.title: ws for ws in wb.worksheets if isinstance(ws, Worksheet) and ws.title != STAMP_SHEET
    }
    for ws in sheets.values():
        _clear_marks(ws)
    synced = f"✓ 已同步 v{outcome.seq}" if outcome.seq else "✓ 已同步"
    statuses = outcome.status_texts(synced)
    for sheet, by_row in statuses.items():
        if sheet in sheets:
            _write_status(sheets[sheet], by_row)
    _mark_cells(sheets, outcome.findings)
    if stamp is not None:
        _write_stamp(wb, stamp)

    def untouched() -> bool:
        return not is_open(path) and _current_sha256(path) == expected_sha256

    data = _workbook_bytes(wb)
    return _sha256(data) if replace_atomically(path, data, still_safe=untouched) else None
