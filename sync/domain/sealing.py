"""A version's new rows sealed in the work log by digest: one chained entry instead of every value.

Apart from :mod:`sync.domain.worklog` because sealing computes the canonical rows' digest with
Arrow (:mod:`sync.domain.row_digest`): the plans that bulk-insert rows seal them here, while every
other writer of the log (accounts, signing, ownership, tasks) and every command that only reads it
start without pandas and Arrow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import FromClause, Table, func, select
from sqlalchemy.orm import Session

from schema.models import SealedRows, WorkbookVersion, WorkLogEntry
from sync.domain import row_digest
from sync.domain.worklog import SEALED, LogWriter


def seal_batch(
    log: LogWriter,
    table: FromClause,
    frame: pd.DataFrame,
    ids: Iterable[int] | list[list[int]],
    *,
    columns: Sequence[str],
    key: Sequence[str],
    headers: Sequence[str | None] = (),
    log_key: Sequence[str] = (),
    entity: str | None = None,
    log_sep: str = " ",
) -> WorkLogEntry | None:
    """Seal a version's new rows of one table by digest: one chained entry instead of every value.

    ``frame`` holds the rows as applied (typed, one row per inserted row, the ``columns`` by their
    names in ``table``), ``ids`` their primary keys. The entry carries the SHA-256 of the version's
    kept file and the batch digest of the canonical rows (:mod:`sync.domain.row_digest`, rows in
    the order of ``key``); the row hashes go beside it (``sealed_rows``), so that a deep
    verification names the first row that differs. ``headers`` are the words the log uses for
    each column's changes (``None`` for a column no change entry names) and ``log_key`` the
    columns whose text, joined by spaces, is the key those change entries carry (a column
    ``fk@table.column`` is looked up through a foreign key): with them a row a later version
    changed is told from a row altered behind the log. ``ids`` may be given as ``[first, last]``
    runs (:func:`inserted_ids`); ``log_sep`` joins the ``log_key`` values as those entries do
    (a change set's entries join them with ``/``). Returns the entry (None for no rows)."""
    given: list[Any] = list(ids)
    table = cast(Table, table)
    ranges: list[list[int]] = given if given and isinstance(given[0], list) else row_digest.id_ranges(given)
    count = sum(b - a + 1 for a, b in ranges)
    if not count:
        return None
    if count != len(frame):
        raise ValueError(f"seal {table.name}: {count} ids for {len(frame)} rows")
    order = [*key, *(c for c in columns if c not in key)]
    forms = row_digest.column_forms(table, order)
    rows = row_digest.canonical_rows(row_digest.frame_columns(frame, order), forms, order, key)
    named = dict(zip(columns, headers, strict=False))
    detail = {
        "encoding": row_digest.ENCODING,
        "table": table.name,
        "columns": order,
        "headers": [named.get(c) for c in order],
        "key": list(key),
        "log_key": list(log_key),
        **({"log_sep": log_sep} if log_sep != " " else {}),
        "ids": ranges,
        "count": count,
        "digest": rows.digest,
        "file_sha256": _file_sha256(log),
    }
    entry = log.append(
        entity or table.name,
        f"{rows.key(0)} … {rows.key(len(rows) - 1)}（{count} 行）"[:200].replace(row_digest.SEP, " "),
        SEALED,
        detail=detail,
    )
    log.session.add(SealedRows(seq=entry.seq, entity=table.name, rows=count, hashes=rows.blob))
    return entry


def _file_sha256(log: LogWriter) -> str | None:
    if log.version_id is None:
        return None
    return log.session.scalar(select(WorkbookVersion.sha256).where(WorkbookVersion.id == log.version_id))


def inserted_ids(session: Session, table: FromClause, after: int, version_id: int) -> list[list[int]]:
    """The ids of the rows a version inserted into ``table`` since :func:`last_id` gave ``after``, as
    inclusive ``[first, last]`` runs. A bulk insert's ids are one run, told by one aggregate row;
    only ids with gaps (another writer's rows in between) are read one by one."""
    mine = (table.c.id > after, table.c.version_id == version_id)
    connection = session.connection()
    low, high, count = connection.execute(
        select(func.min(table.c.id), func.max(table.c.id), func.count()).where(*mine)
    ).one()
    if not count:
        return []
    if high - low + 1 == count:
        return [[int(low), int(high)]]
    return row_digest.id_ranges(connection.execute(select(table.c.id).where(*mine)).scalars())
