"""``salesync audit verify --deep``: every digest-sealed work-log entry recomputed from the database.

A sealed entry (``sealing.seal_batch``) vouches for a version's new rows of one table by digest
and for the version's kept file by SHA-256. Here each one is recomputed: the kept bytes are hashed
again, and the rows the entry names (by id) are read back and encoded canonically
(:mod:`sync.domain.row_digest`). When a table's digest does not hold, the row hashes kept beside the
entry (``sealed_rows``, themselves checked against the sealed digest) show the first row that
differs. A row may differ because a later version changed it: its changes are in the log (one
entry per field, old → new, under the same key), so they are undone on the row as read and the row
is hashed again; only a row that still differs was altered behind the log. For that row the
version's kept file, read again, gives the value as the version applied it, so the report names
the column, the value written and the value found.

The chain (``sync.domain.worklog.verify``) vouches for the entries themselves; this check relies on it
and is run after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.orm import Session

from schema.base import Base
from schema.models import SealedRows, StoredFile, WorkbookVersion, WorkLogEntry
from sync.domain import row_digest
from sync.domain.lookups import chunks
from sync.domain.worklog import SEALED
from validators.messages import render

CHANGED = "修改"  # the op of a changed field's entry (old → new)
CHANGE_OPS = (CHANGED, "change")  # a workbook plan's changed field, and a signed change set's

# Given a sealed entry's sheet (its entity), its version's kept bytes and a row's key as the log writes
# it, the row as the version applied it, by column (None when it cannot be told): supplied by the
# caller that can read workbooks (``sync.pipeline.kept_rows.applied_row``).
AppliedRow = Callable[[str, bytes, str], dict[str, Any] | None]


@dataclass(frozen=True)
class SealReport:
    """What the deep check found: the sealed entries and rows checked, and the first problem."""

    entries: int = 0
    rows: int = 0
    later_changes: int = 0  # rows that differ only by changes a later entry records
    dropped_files: int = 0  # kept files whose bytes the retention policy dropped (logged there)
    problem: str | None = None  # seal-file-changed, seal-row-changed, seal-row-missing, seal-list-changed
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def message(self, lang: str = "zh") -> str:
        if self.ok:
            return render("seal-intact", lang, entries=self.entries, rows=self.rows, later=self.later_changes)
        text = render(self.problem or "", lang, **self.params)
        if self.problem == "seal-row-changed" and self.params.get("column"):
            text += render("seal-row-column", lang, **self.params)
        return text

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "rows": self.rows,
            "later_changes": self.later_changes,
            "dropped_files": self.dropped_files,
            "problem": self.problem,
            **{k: v for k, v in self.params.items() if k not in ("entries", "rows")},
            "message": self.message(lang),
        }


def sealed_entries(session: Session) -> Iterator[tuple[WorkLogEntry, dict[str, Any]]]:
    """The digest-sealed entries in chain order, with their detail."""
    stmt = (
        select(WorkLogEntry)
        .where(WorkLogEntry.op == SEALED, WorkLogEntry.changes.contains(row_digest.ENCODING))
        .order_by(WorkLogEntry.seq)
    )
    for entry in session.scalars(stmt):
        detail = json.loads(entry.changes)
        if detail.get("encoding") == row_digest.ENCODING:
            yield entry, detail


def verify(session: Session, applied_row: AppliedRow | None = None) -> SealReport:
    """Recompute every sealed entry; stop at the first that does not hold and name what differs."""
    entries = rows = later = dropped = 0
    for entry, detail in sealed_entries(session):
        entries += 1
        problem, was_dropped = _check_file(session, entry, detail)
        dropped += was_dropped
        if problem is not None:
            return SealReport(entries, rows, later, dropped, *problem)
        checked = _check_rows(session, entry, detail, applied_row)
        rows += checked.rows
        later += checked.later
        if checked.problem is not None:
            return SealReport(entries, rows, later, dropped, *checked.problem)
    return SealReport(entries, rows, later, dropped)


def _base(entry: WorkLogEntry, detail: dict[str, Any]) -> dict[str, Any]:
    return {"seq": entry.seq, "version": entry.version_id, "table": detail["table"]}


def _check_file(
    session: Session, entry: WorkLogEntry, detail: dict[str, Any]
) -> tuple[tuple[str, dict[str, Any]] | None, int]:
    """The kept file's SHA-256 against the sealed one (bytes the retention policy dropped: skipped)."""
    sealed = detail.get("file_sha256")
    if sealed is None:
        return None, 0
    version = session.get(WorkbookVersion, entry.version_id) if entry.version_id is not None else None
    stored = session.get(StoredFile, sealed)
    found = version.sha256 if version is not None else None
    if found == sealed and stored is not None and not stored.content:
        return None, 1
    if found == sealed and stored is not None and hashlib.sha256(stored.content).hexdigest() == sealed:
        return None, 0
    actual = hashlib.sha256(stored.content).hexdigest() if stored is not None else found
    return ("seal-file-changed", {**_base(entry, detail), "expected": sealed, "found": actual or "—"}), 0


@dataclass
class _Checked:
    rows: int = 0
    later: int = 0
    problem: tuple[str, dict[str, Any]] | None = None


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _read(session: Session, table: Table, columns: Sequence[str], ranges: list[list[int]]) -> list[Any]:
    """The rows with ids in ``ranges``: id first, then ``columns``."""
    out: list[Any] = []
    wanted = [table.c.id, *(table.c[c] for c in columns)]
    for part in chunks(ranges):
        where = or_(*(and_(table.c.id >= a, table.c.id <= b) for a, b in part))
        out += session.execute(select(*wanted).where(where).order_by(table.c.id)).all()
    return out


def _check_rows(
    session: Session, entry: WorkLogEntry, detail: dict[str, Any], applied_row: AppliedRow | None
) -> _Checked:
    table = _table(detail["table"])
    order: list[str] = detail["columns"]
    key: list[str] = detail["key"]
    forms = row_digest.column_forms(table, order)
    found = _read(session, table, order, detail["ids"])
    base = _base(entry, detail)
    expected_ids = [i for a, b in detail["ids"] for i in range(a, b + 1)]
    if len(found) != len(expected_ids):
        present = {row[0] for row in found}
        missing = next(i for i in expected_ids if i not in present)
        return _Checked(len(found), problem=("seal-row-missing", {**base, "id": missing}))
    values = {name: [row[n + 1] for row in found] for n, name in enumerate(order)}
    arrays = {name: row_digest.python_array(values[name], forms[name]) for name in order}
    canonical = row_digest.canonical_rows(arrays, forms, order, key)
    if canonical.digest == detail["digest"]:
        return _Checked(len(found))
    kept = session.get(SealedRows, entry.seq)
    hashes = row_digest.split_hashes(kept.hashes) if kept is not None else []
    if kept is None or row_digest.batch_digest(hashes) != detail["digest"] or len(hashes) != len(found):
        return _Checked(len(found), problem=("seal-list-changed", base))
    later = 0
    headers = dict(zip(order, detail.get("headers") or [], strict=False))
    for position, (sealed, now_hash) in enumerate(zip(hashes, canonical.hashes, strict=True)):
        if sealed == now_hash:
            continue
        at = int(canonical.order[position])
        row = {name: values[name][at] for name in order}
        log_key = _log_key(session, detail.get("log_key") or [], row, forms, detail.get("log_sep", " "))
        undone = _undo_later_changes(session, entry, log_key, row, headers, forms)
        if undone is not None and _row_hash(undone, forms, order, key) == sealed:
            later += 1
            continue
        problem = {
            **base,
            "id": found[at][0],
            "key": log_key or canonical.key(position).replace(row_digest.SEP, " "),
        }
        if log_key is not None:
            problem.update(_column(session, entry, detail, log_key, row, undone or row, forms, applied_row))
        return _Checked(len(found), later, ("seal-row-changed", problem))
    return _Checked(len(found), later)  # every row that differs was changed by a later, logged change


def _row_hash(
    row: dict[str, Any], forms: dict[str, row_digest.ColumnForm], order: list[str], key: list[str]
) -> bytes:
    arrays = {name: row_digest.python_array([row[name]], forms[name]) for name in order}
    return row_digest.canonical_rows(arrays, forms, order, key).hashes[0]


def _log_key(
    session: Session,
    spec: list[str],
    row: dict[str, Any],
    forms: dict[str, row_digest.ColumnForm],
    sep: str = " ",
) -> str | None:
    """The key the log's change entries give this row (as the plan writes it), or None."""
    if not spec:
        return None
    parts: list[str] = []
    for name in spec:
        column, _, target = name.partition("@")
        value = row.get(column)
        if target:  # fk@table.column: the value of the row the foreign key points at
            other, _, wanted = target.partition(".")
            t = _table(other)
            value = session.execute(select(t.c[wanted]).where(t.c.id == value)).scalar()
        elif forms[column].kind == "datetime" and value is not None:
            value = row_digest.shanghai_wall_clock(value)
        parts.append("" if value is None else str(value))
    return sep.join(parts)


def _undo_later_changes(
    session: Session,
    entry: WorkLogEntry,
    log_key: str | None,
    row: dict[str, Any],
    headers: dict[str, str | None],
    forms: dict[str, row_digest.ColumnForm],
) -> dict[str, Any] | None:
    """The row as it was before the changes logged after ``entry`` (None: no such changes). A column
    whose value is not the newest logged change's ``new`` was altered after it: it is left as found."""
    if log_key is None:
        return None
    columns = {h: c for c, h in headers.items() if h}
    stmt = (
        select(WorkLogEntry.field, WorkLogEntry.old, WorkLogEntry.new)
        .where(
            WorkLogEntry.entity == entry.entity,
            WorkLogEntry.key == log_key,
            WorkLogEntry.op.in_(CHANGE_OPS),
            WorkLogEntry.seq > entry.seq,
        )
        .order_by(WorkLogEntry.seq.desc())
    )
    changes = session.execute(stmt).all()
    if not changes:
        return None
    before = dict(row)
    seen: set[str] = set()
    altered: set[str] = set()  # the value found is not the one the newest change wrote: left as found
    for header, old, new in changes:  # the newest first
        column = columns.get(header or "")
        if column is None or column in altered:
            continue
        if column not in seen:
            seen.add(column)
            if _text(row[column], forms[column]) != _text(
                row_digest.parse_shown(new, forms[column]), forms[column]
            ):
                altered.add(column)
                continue
        before[column] = row_digest.parse_shown(old, forms[column])
    return before


def _column(
    session: Session,
    entry: WorkLogEntry,
    detail: dict[str, Any],
    log_key: str,
    found: dict[str, Any],
    as_logged: dict[str, Any],
    forms: dict[str, row_digest.ColumnForm],
    applied_row: AppliedRow | None,
) -> dict[str, Any]:
    """The first column whose value differs from what the version applied, when the kept file tells."""
    if applied_row is None or entry.version_id is None:
        return {}
    version = session.get(WorkbookVersion, entry.version_id)
    stored = session.get(StoredFile, version.sha256) if version is not None else None
    if stored is None or not stored.content:
        return {}
    applied = applied_row(entry.entity, stored.content, log_key)
    if applied is None:
        return {}
    headers = dict(zip(detail["columns"], detail.get("headers") or [], strict=False))
    for name in detail["columns"]:
        if name not in applied:
            continue
        expected = _text(applied[name], forms[name])
        now_text = _text(as_logged[name], forms[name])
        if expected != now_text:
            return {
                "column": headers.get(name) or name,
                "expected": expected,
                "found": _text(found[name], forms[name]),
            }
    return {}


def _text(value: Any, form: row_digest.ColumnForm) -> str:
    text = row_digest.canonical_text(row_digest.python_array([value], form), form)[0].as_py()
    return "（空）" if text == row_digest.NULL else str(text)
