"""Applying a signed change set set-based: a few statements per table instead of an object per row.

A project's initial load is tens of thousands of rooms; applying it row by row through the ORM took
about a minute for 100k rows. Here the change set's items are grouped by table and operation and
written with one bulk statement each: new rows by a bulk ``INSERT`` (multi-row on SQLite, ``COPY``
on PostgreSQL), a removed row that comes back and every changed field by one ``UPDATE`` executed
for many rows, removals as one ``UPDATE … SET removed_at`` per chunk of ids. The rows the database
ends with are those :func:`sync.domain.changesets.apply_change_set` (the row-by-row reference,
``tests/test_changeset_apply.py`` holds the two side by side) writes: the same values, in the same
order, the same room status history when master data moves a room's status, and the same work-log
entries for changed and removed rows, hashed in the same order; the new rows of each table are sealed
by digest in one entry (``LogWriter.seal_batch``) instead of one entry per added item. The caller has checked conflicts and orphaned deals and owns
the transaction: an error leaves nothing applied.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import ChangeSet, RoomStatusChange
from schema.spec import ColType, Column, Sheet
from sync.core.rows import INSERT_CHUNK, BulkInsert
from sync.domain import row_digest
from sync.domain.changesets import MASTER_STATUSES, MODELS, Item, current_rows, item_rows, key_text
from sync.domain.sealing import inserted_ids, seal_batch
from sync.domain.worklog import Change, LogWriter, last_id
from sync.kinds.project_master import KIND

#: told the steps done so far and all the steps (each item's row, then its work-log entry), after each chunk
Progress = Callable[[int, int], None]


#: below this many items the work log is written entry by entry (the same entries, hashed in the
#: same order as in bulk; a few hundred cost nothing and keep the one way small changes always took)
ENTRY_BY_ENTRY = 1000
UPDATE_CHUNK = 2000  # ids per ``UPDATE … WHERE id IN (…)`` (below every driver's parameter limit)


def _converter(column: Column) -> Callable[[str], Any]:
    """A change item's display text back to the column's value (as ``changesets._parse`` does)."""
    match column.type:
        case ColType.DECIMAL:
            return Decimal
        case ColType.INTEGER:
            return int
        case ColType.DATE:
            return lambda text: dt.date.fromisoformat(text[:10])
        case ColType.YES_NO:
            return lambda text: text == "是"
    return str


def _column_values(sheet: Sheet, texts: Sequence[str | None]) -> dict[str, list[Any]]:
    """Every column of the rows given as a change item's row text, converted column by column."""
    parsed = json.loads("[" + ",".join(t or "{}" for t in texts) + "]")  # one parse for all rows
    out: dict[str, list[Any]] = {}
    for column in sheet.columns:
        convert, header = _converter(column), column.header
        raw = [p.get(header) for p in parsed]
        out[column.field] = [None if v is None else convert(v) for v in raw]
    return out


def _existing(session: Session, entity: str, projects: set[str], plan_codes: set[str]) -> dict[str, Any]:
    """Every row (live or removed) of ``entity`` the change set may touch, by key text."""
    sheet = KIND.sheet(entity)
    return {key_text(r, sheet): r for r in current_rows(session, entity, projects, plan_codes)}


class _Writer:
    """The bulk statements of one change set, counting the rows written for the progress."""

    def __init__(self, session: Session, total: int, progress: Progress | None) -> None:
        self.session, self.total, self.progress, self.done = session, total, progress, 0

    def tick(self, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)

    def logged(self, entries: list[Change]) -> Iterator[Change]:
        """The work log's entries, told to the progress as they are hashed and written."""
        for start in range(0, len(entries), INSERT_CHUNK):
            part = entries[start : start + INSERT_CHUNK]
            yield from part
            self.tick(len(part))

    def insert(self, table: Table, columns: dict[str, list[Any]], *, counted: bool = True) -> None:
        keys = list(columns)
        count = len(columns[keys[0]]) if keys else 0
        if not count:
            return
        bulk = BulkInsert(self.session, table, keys)
        for start in range(0, count, INSERT_CHUNK):
            bulk.execute({k: v[start : start + INSERT_CHUNK] for k, v in columns.items()})
            if counted:
                self.tick(min(INSERT_CHUNK, count - start))

    def update_each(self, table: Table, fields: Sequence[str], rows: list[dict[str, Any]]) -> None:
        """One ``UPDATE … WHERE id = ?`` executed for all ``rows`` (each carries ``_id`` and ``fields``)."""
        if not rows:
            return
        assert all(set(r) == {"_id", *fields} for r in rows)
        stmt = update(table).where(table.c.id == bindparam("_id"))  # SET: the other keys of each row
        connection = self.session.connection()
        for start in range(0, len(rows), INSERT_CHUNK):
            connection.execute(stmt, rows[start : start + INSERT_CHUNK])

    def update_ids(self, table: Table, ids: list[int], values: dict[str, Any]) -> None:
        """The same ``values`` on every row in ``ids``."""
        connection = self.session.connection()
        for start in range(0, len(ids), UPDATE_CHUNK):
            part = ids[start : start + UPDATE_CHUNK]
            connection.execute(update(table).where(table.c.id.in_(part)).values(values))
            self.tick(len(part))


def apply_in_bulk(
    session: Session,
    change_set: ChangeSet,
    log: LogWriter,
    *,
    items: Iterable[Item] | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the change set's items into the data and the work log, set-based; returns the rows
    written (the number of distinct rows touched, as the row-by-row apply counts them)."""
    listed = list(items) if items is not None else item_rows(session, change_set)
    session.flush()
    version_id, account_id = change_set.version_id, change_set.version.account_id
    stamp = now()
    projects = set(change_set.projects)
    plan_codes = {key.rsplit("/", 1)[0] for entity, key, *_ in listed if entity == "payment_plan_line"}
    plan_codes |= {key for entity, key, *_ in listed if entity == "payment_plan"}
    writer = _Writer(session, 2 * len(listed), progress)  # each item: its row, then its log entry
    changes: list[Change] = []
    touched: set[tuple[str, str]] = set()
    for entity, model in MODELS.items():
        mine = [i for i in listed if i[0] == entity]
        if not mine:
            continue
        sheet, table = KIND.sheet(entity), model.__table__
        rows = _existing(session, entity, projects, plan_codes)
        before = last_id(session, table)
        fresh = _adds(writer, sheet, table, [i for i in mine if i[2] == "add"], rows, version_id)
        if fresh:
            _seal(session, log, sheet, table, fresh, before, version_id)
            writer.tick(len(fresh[sheet.fields[0]]))
        _changes(
            writer, sheet, table, [i for i in mine if i[2] == "change"], rows, version_id, account_id, stamp
        )
        removed = [rows[i[1]].id for i in mine if i[2] == "remove"]
        writer.update_ids(table, removed, {"removed_at": stamp, "version_id": version_id})
        for ent, key, op, field, old, new, _sheet, _row in mine:
            if not (op == "add" and fresh and key not in rows):  # a new row: sealed above
                changes.append(Change(ent, key, op, field, old, new))
            touched.add((ent, key))
    if len(changes) < ENTRY_BY_ENTRY:
        for c in changes:
            log.append(c.entity, c.key, c.op, field=c.field, old=c.old, new=c.new)
        writer.tick(len(changes))
    else:
        log.append_many(writer.logged(changes))
    _forget_master_rows(session)
    return len(touched)


def _seal(
    session: Session,
    log: LogWriter,
    sheet: Sheet,
    table: Table,
    columns: dict[str, list[Any]],
    before: int,
    version_id: int,
) -> None:
    """The change set's new rows of one table sealed by digest: one chained entry (the sheet's
    fields, keyed by the sheet's key) instead of an entry per row; their later changes are the
    change set entries (op ``change``, the field's name, old → new) the deep check undoes."""
    fields = [f for f in dict.fromkeys([*sheet.key, *sheet.fields]) if f in table.c]
    forms = row_digest.column_forms(table, fields)
    frame = pd.DataFrame(
        {f: pd.arrays.ArrowExtensionArray(row_digest.python_array(columns[f], forms[f])) for f in fields}
    )
    seal_batch(
        log,
        table,
        frame,
        inserted_ids(session, table, before, version_id),
        columns=fields,
        key=list(sheet.key),
        headers=fields,  # a change set's entries name a field by its name
        log_key=list(sheet.key),
        entity=sheet.entity,
        log_sep="/",
    )


def _adds(
    writer: _Writer, sheet: Sheet, table: Table, adds: list[Item], rows: dict[str, Any], version_id: int
) -> dict[str, list[Any]] | None:
    """New rows by one bulk insert (a room's live status starts as its initial status); a removed row
    that comes back by one update executed for each. Returns the new rows' values by column."""
    fresh = [i for i in adds if i[1] not in rows]
    back = [i for i in adds if i[1] in rows]
    inserted: dict[str, list[Any]] | None = None
    if fresh:
        columns = _column_values(sheet, [i[5] for i in fresh])
        if sheet.entity == "room":
            columns["status"] = list(columns["initial_status"])
        columns["version_id"] = [version_id] * len(fresh)
        writer.insert(table, columns)
        inserted = columns
    if back:
        columns = _column_values(sheet, [i[5] for i in back])
        values = [
            {
                **{f: columns[f][n] for f in sheet.fields},
                "_id": rows[i[1]].id,
                "removed_at": None,
                "version_id": version_id,
            }
            for n, i in enumerate(back)
        ]
        writer.update_each(table, [*sheet.fields, "removed_at", "version_id"], values)
        writer.tick(len(back))
    return inserted


def _changes(
    writer: _Writer,
    sheet: Sheet,
    table: Table,
    changed: list[Item],
    rows: dict[str, Any],
    version_id: int,
    account_id: int,
    stamp: dt.datetime,
) -> None:
    """Changed fields by one update per field; master data moving a room's initial status moves its
    live status too, while the room is in one of master data's statuses, and records the move."""
    by_field: dict[str, list[dict[str, Any]]] = {}
    moves: list[dict[str, Any]] = []
    status_rows: list[dict[str, Any]] = []
    for _entity, key, _op, field, _old, new, _sheet, _row in changed:
        assert field is not None
        row = rows[key]
        value = None if new is None else _converter(sheet.column(field))(new)
        by_field.setdefault(field, []).append({"_id": row.id, field: value, "version_id": version_id})
        if sheet.entity == "room" and field == "initial_status" and row.status in MASTER_STATUSES:
            moves.append(
                {
                    "room_code": row.code,
                    "from_status": row.status,
                    "to_status": value,
                    "account_id": account_id,
                    "version_id": version_id,
                    "at": stamp,
                    "cause": "master_data",
                    "business_date": stamp.astimezone(SHANGHAI).date(),
                }
            )
            status_rows.append({"_id": row.id, "status": value})
    for field, values in by_field.items():
        writer.update_each(table, [field, "version_id"], values)
    writer.update_each(table, ["status"], status_rows)
    if moves:
        writer.insert(
            cast(Table, RoomStatusChange.__table__),
            {k: [m[k] for m in moves] for k in moves[0]},
            counted=False,
        )
    writer.tick(len(changed))


def _forget_master_rows(session: Session) -> None:
    """Objects of master data the session may hold were written around: read them afresh."""
    for obj in list(session.identity_map.values()):
        if type(obj) in MODELS.values() or isinstance(obj, RoomStatusChange):
            session.expire(obj)
