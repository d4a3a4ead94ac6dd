"""The deal kinds' new rows sealed by digest, and their later changes logged old → new.

The set-based deal plans insert a version's new rows in bulk from plain dicts (the values the plan
applied). Here those dicts become one sealed work-log entry per table and version
(``LogWriter.seal_batch``): the sheet's columns the table holds, keyed by the sheet's key, so
``salesync audit verify --deep`` can recompute them from the database and, through the version's
kept file, name the column that was altered. The values are encoded the way the deep check encodes
what it reads back (``row_digest.python_array``), so both sides give the same digest.

A sealed row that a later version changes legitimately must be told apart from one altered behind
the log: :func:`log_changes` writes one entry per changed sealed column, old → new, under the key the
seal names (the sheet's key values joined by spaces), which the deep check undoes before comparing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import FromClause, Table, select

from schema.base import SHANGHAI
from schema.spec import Sheet
from sync.core.rows import canon, show
from sync.domain import row_digest
from sync.domain.lookups import chunks
from sync.domain.sealing import inserted_ids, seal_batch
from sync.domain.worklog import Change, LogWriter, last_id
from sync.plans.context import IngestContext

CHANGED = "修改"  # the op the deep check undoes (``sealed_audit.CHANGED``)

__all__ = ["last_id", "log_changes", "seal_new", "sealed_columns", "stored_values"]


def _log(ctx: IngestContext) -> LogWriter:
    if ctx.log is None:
        ctx.log = LogWriter(ctx.session, ctx.account.id, ctx.version.id)
    return ctx.log


def sealed_columns(sheet: Sheet, table: FromClause, key: Sequence[str] = ()) -> list[str]:
    """The sheet's fields the table holds (the key columns first): what a sealed row vouches for."""
    names = set(cast(Table, table).c.keys())
    ordered = [*key, *sheet.key, *sheet.fields]
    return list(dict.fromkeys(c for c in ordered if c in names))


def _naive_as_shanghai(value: Any) -> Any:
    """A plan's naive date-time is Asia/Shanghai wall-clock time (as a frame's is)."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=SHANGHAI)
    return value


def seal_new(
    ctx: IngestContext,
    sheet: Sheet,
    table: FromClause,
    rows: Sequence[Mapping[str, Any]],
    before: int,
    *,
    key: Sequence[str] = (),
) -> None:
    """Seal the rows this version inserted into ``table`` since :func:`last_id` gave ``before``;
    ``rows`` are the values as inserted (one dict per row). ``key`` (default: the sheet's key) must
    tell the rows apart; the log's key stays the sheet's key, as :func:`log_changes` writes it."""
    if not rows:
        return
    table = cast(Table, table)
    order_key = list(key or sheet.key)
    columns = sealed_columns(sheet, table, order_key)
    forms = row_digest.column_forms(table, columns)
    frame = pd.DataFrame(
        {
            name: pd.arrays.ArrowExtensionArray(
                row_digest.python_array([_naive_as_shanghai(r.get(name)) for r in rows], forms[name])
            )
            for name in columns
        }
    )
    ids = inserted_ids(ctx.session, table, before, ctx.version.id)
    headers = [sheet.header(c) if c in sheet.fields else None for c in columns]
    seal_batch(
        _log(ctx),
        table,
        frame,
        ids,
        columns=columns,
        key=order_key,
        headers=headers,
        log_key=list(sheet.key),
        entity=sheet.entity,
    )


def log_key(values: Mapping[str, Any], sheet: Sheet) -> str:
    """A row's key as the seal's ``log_key`` gives it: the sheet's key values joined by spaces."""
    return " ".join("" if values.get(k) is None else str(values[k]) for k in sheet.key)


def log_changes(
    ctx: IngestContext,
    sheet: Sheet,
    table: FromClause,
    changes: Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any]]],
) -> None:
    """One entry per changed sealed column of an existing row, old → new: ``changes`` gives each
    row's log key, its values before and the values it is updated with."""
    columns = [c for c in sealed_columns(sheet, table) if c in sheet.fields]
    entries = [
        Change(sheet.entity, key, CHANGED, field=sheet.header(c), old=show(old[c]), new=show(new[c]))
        for key, old, new in changes
        for c in columns
        if c in new and c in old and canon(old[c]) != canon(new[c])
    ]
    if entries:
        _log(ctx).append_many(entries)


def stored_values(
    ctx: IngestContext, table: FromClause, ids: Iterable[int], columns: Sequence[str]
) -> dict[int, dict[str, Any]]:
    """The ``columns`` of the rows with ``ids`` as stored now (read before they are updated)."""
    table = cast(Table, table)
    picked = [table.c.id, *(table.c[c] for c in columns)]
    out: dict[int, dict[str, Any]] = {}
    for batch in chunks(sorted(set(ids))):
        for row in ctx.session.connection().execute(select(*picked).where(table.c.id.in_(batch))):
            out[row[0]] = dict(zip(columns, row[1:], strict=True))
    return out
