"""Each row's outcome back to its author (§7): a result workbook beside the file, and marks in the file.

``write_result_workbook`` always writes ``<stem>.反馈.xlsx`` next to the saved workbook.
``annotate_workbook`` writes into the workbook itself — a ``同步状态`` column, the bad cells filled and
commented — but only when it is safe: Excel or LibreOffice does not have the file open and the bytes
are still those that were validated. The marks are edits of the few parts that carry them
(``sync.pipeline.annotate``), and the file is swapped in only while it still holds the bytes read
(``sync.xlsx.swap``); the result workbook is our own file, written atomically (a temp file beside it,
then ``os.replace``). This module is the one boundary that turns findings into words for workbooks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from schema.base import SHANGHAI
from sync.pipeline.annotate import ERROR_RGB as ERROR_RGB  # the colours of the marks, named here too
from sync.pipeline.annotate import WARNING_RGB as WARNING_RGB
from sync.pipeline.annotate import annotated
from sync.pipeline.outcome import Outcome
from sync.xlsx.excel_text import safe_text
from sync.xlsx.stamp import Stamp
from sync.xlsx.swap import TEMP_PREFIX as TEMP_PREFIX
from sync.xlsx.swap import observe, swap_if_unchanged
from sync.xlsx.xml_chars import clean
from validators.findings import COLLISION_CODES, Finding, Severity, cached_message

RESULT_SUFFIX = ".反馈.xlsx"

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
    """A value for a streamed row, as data, never a formula (``sync.xlsx.excel_text``), without
    control characters Excel refuses (``sync.xlsx.xml_chars``)."""
    return safe_text(clean(value), ws)


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
        WARNINGS_LISTED, in_full=lambda f: f.severity is Severity.ERROR or f.code in COLLISION_CODES
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
            if f.code in COLLISION_CODES
        ),
    )
    target = result_path(path)
    replace_atomically(target, _workbook_bytes(wb))
    return target


# -- marks in the author's own workbook ------------------------------------------------------------


def annotate_workbook(
    path: Path, outcome: Outcome, *, expected_sha256: str, stamp: Stamp | None = None
) -> str | None:
    """Write the status column, cell marks and ``stamp`` into the workbook at ``path``.

    Only the parts that carry them change (``sync.pipeline.annotate``); the file is replaced only while it
    still holds the bytes ``expected_sha256`` names and no office suite has it open
    (``sync.xlsx.swap``). Returns the SHA-256 of the bytes written, or None when nothing changed.
    Raises ``sync.xlsx.patch.Unsupported`` when the workbook holds what cannot be edited safely.
    """
    if is_open(path):
        return None
    seen = observe(path)
    if seen is None or seen.state.sha256 != expected_sha256:
        return None
    data = annotated(seen.data, outcome, stamp)
    if swap_if_unchanged(path, data, seen.state, still_safe=lambda: not is_open(path)):
        return _sha256(data)
    return None
