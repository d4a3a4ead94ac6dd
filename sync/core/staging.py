"""Many rows in through a staging table: a scratch database on SQLite, a temporary table on PostgreSQL.

Python's ``sqlite3`` binds every value through the interpreter, which makes a big first import
spend most of its write time in Python. Here the rows go from Arrow columns into a scratch SQLite
file through ADBC's SQLite driver, which binds them in C, and then into the real table with one
``INSERT … SELECT`` on the version's own connection, inside its transaction. The scratch file holds
a copy and nothing else: if the transaction rolls back, nothing of it stays in the database, and
the file is deleted when the connection returns to the pool.

On PostgreSQL the rows go from the same Arrow columns, written as CSV by Arrow in C, by ``COPY``
into a temporary table of the version's own session (``ON COMMIT DROP``: neither WAL nor indexes
nor foreign-key triggers while the rows arrive), and then into the real table with one
``INSERT … SELECT`` in the order they came. Python no longer formats each row for ``COPY``, which
was half of a big first import's write time there. The foreign keys are then checked once for the
whole batch — one anti-join per key, the referenced rows locked ``FOR KEY SHARE`` as the per-row
check would lock them — and the ``INSERT … SELECT`` runs without PostgreSQL's per-row checks
(``session_replication_role = replica`` for that one statement), which were two thirds of its
time. That needs a superuser or, from PostgreSQL 15, ``GRANT SET ON PARAMETER
session_replication_role`` to salesync's role, and a table whose only triggers are its foreign
keys'; otherwise the per-row checks stay on, and the rows still arrive by the staging table.

The values are the ones the column types' bind processors give (``tests/test_staging.py`` holds
the two paths side by side on both databases), so what is stored does not depend on the way in."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import FromClause, Integer
from sqlalchemy.orm import Session

from schema.base import UTCDateTime
from schema.db import attach, attach_scratch
from sync.core.rows import INSERT_CHUNK, BulkInsert, column_values, driver_array, driver_values

log = logging.getLogger("salesync.staging")

STAGE_MIN_ROWS = 20_000  # below this, the multi-row INSERT is as fast and needs no scratch file
PG_STAGE_MIN_ROWS = 2_000  # PostgreSQL: below this, COPY row by row into the table is as fast
STAGE_BATCH = 50_000  # rows per CSV chunk sent to COPY: bounds the memory of the text
_ORDER = "salesync_ord"  # the staging table's column that keeps the rows' order
_stage_names = itertools.count()


def stages(dialect_name: str, driver: str, rows: int) -> bool:
    """Whether ``rows`` rows go in through a staging table on this database."""
    if dialect_name == "sqlite":
        return rows >= STAGE_MIN_ROWS
    return dialect_name == "postgresql" and driver == "psycopg" and rows >= PG_STAGE_MIN_ROWS


def _bindable(arr: pa.Array) -> pa.Array | None:
    """The column as ADBC binds it just as ``sqlite3`` binds the same Python values, or None."""
    kind = arr.type
    if pa.types.is_dictionary(kind):
        arr = arr.dictionary_decode()
        kind = arr.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.cast(arr, pa.string()) if pa.types.is_large_string(kind) else arr
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_null(kind):
        return arr
    return None


def arrow_columns(bulk: BulkInsert, frame: pd.DataFrame, fields: Sequence[str]) -> dict[str, pa.Array] | None:
    """The frame's columns in the driver's form, as Arrow; None when one of them has a type the
    scratch path does not carry (the caller then takes the multi-row ``INSERT``)."""
    columns: dict[str, pa.Array] = {}
    for field in fields:
        arr = driver_array(bulk, field, frame[field])
        if arr is None:
            if bulk.processors[field] is None:
                arr = pa.array(frame[field], from_pandas=True)
            else:
                values = [bulk.process(field, v) for v in column_values(frame[field])]
                if any(isinstance(v, bool) for v in values):
                    return None
                try:
                    arr = pa.array(values)
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    return None
        bindable = _bindable(arr)
        if bindable is None:
            return None
        columns[field] = bindable
    return columns


def _write_scratch(path: Path, rows: pa.Table | pa.RecordBatchReader) -> None:
    writer = adbc.connect(str(path), autocommit=True)
    try:
        cursor = writer.cursor()
        try:
            cursor.execute("PRAGMA page_size=16384")  # fewer, fuller pages: written and read faster
            cursor.execute("PRAGMA journal_mode=OFF")  # a scratch copy: nothing to recover
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.adbc_ingest("staged", rows, mode="create")
        finally:
            cursor.close()
    finally:
        writer.close()


def insert_staged(
    session: Session,
    table: FromClause,
    columns: Mapping[str, pa.Array] | pa.RecordBatchReader,
    constant: Mapping[str, Any],
) -> bool:
    """Insert the rows given as Arrow columns, or as a stream of record batches made on the way
    (values already in the driver's form), with the same ``constant`` values on every row. False
    when the connection cannot take another scratch database, or the scratch file cannot be
    written: nothing was inserted, and the caller inserts the rows another way (from its own
    data: a stream may have been read)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _insert_staged_pg(session, table, columns, constant)
        return True
    if connection.dialect.name != "sqlite":
        return False
    scratch = attach_scratch(connection)
    if scratch is None:
        return False
    name, path = scratch
    rows = columns if isinstance(columns, pa.RecordBatchReader) else pa.table(dict(columns))
    keys = list(rows.schema.names)
    try:
        _write_scratch(path, rows)
    except (adbc.Error, OSError) as exc:  # no room in the temp folder, say: the slower way still works
        log.warning("scratch database %s not written (%s); rows go in one by one", path, exc)
        return False
    del rows
    attach(connection, name, path)

    target = table.c  # type: ignore[attr-defined]
    bulk = BulkInsert(session, table, [*keys, *constant])
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(target[k].name) for k in [*keys, *constant])
    picked = ", ".join([*(quote(k) for k in keys), *("?" for _ in constant)])
    into = connection.dialect.identifier_preparer.format_table(table)  # type: ignore[arg-type]
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(
        f"INSERT INTO main.{into} ({names}) SELECT {picked} FROM {name}.staged ORDER BY rowid",
        [bulk.process(k, v) for k, v in constant.items()],
    )
    return True


def insert_frame(
    session: Session,
    table: FromClause,
    frame: pd.DataFrame,
    fields: Sequence[str],
    **constant: Any,
) -> int:
    """Insert the rows of a typed frame in chunks, with the same
    ``constant`` values on every row. Returns the number of rows inserted."""
    picked = frame
    total = len(picked)
    if not total:
        return 0
    bulk = BulkInsert(session, table, [*fields, *constant])
    if stages(bulk.dialect_name, bulk.connection.dialect.driver, total):
        arrays = (
            arrow_columns(bulk, picked, fields)
            if bulk.dialect_name == "sqlite"
            else pg_text_columns(bulk, picked, fields)
        )
        if arrays is not None and insert_staged(session, table, arrays, constant):
            return total
    fixed = {k: bulk.process(k, v) for k, v in constant.items()}
    for start in range(0, total, INSERT_CHUNK):
        part = picked.iloc[start : start + INSERT_CHUNK]
        columns: dict[str, list[Any]] = {}
        processed = list(fixed)
        for f in fields:
            values = driver_values(bulk, f, part[f])
            if values is None:
                columns[f] = column_values(part[f])
            else:
                columns[f] = values
                processed.append(f)
        columns.update({k: [v] * len(part) for k, v in fixed.items()})
        bulk.execute(columns, processed=processed)
    return total


_SHANGHAI_FROM = dt.datetime(1992, 1, 1)  # Asia/Shanghai kept daylight saving time until 1991


def pg_text_columns(
    bulk: BulkInsert, frame: pd.DataFrame, fields: Sequence[str]
) -> dict[str, pa.Array] | None:
    """The frame's columns as Arrow arrays whose CSV text PostgreSQL reads as the very values the
    column types' bind processors give (None when one of them cannot be put so: the caller then
    copies row by row).

    Strings, integers, dates and floats write as ``COPY``'s own text would have them (a float as its
    shortest round-trip form, parsed by the column's type); a naive date-time is the sheet's
    Asia/Shanghai wall-clock time, written with its offset (+08 all year since 1992; an earlier one
    goes value by value through the bind processor)."""
    columns: dict[str, pa.Array] = {}
    for field in fields:
        column_type = bulk.target.c[field].type
        try:
            arr = pa.array(frame[field], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python values: row by row
            return None
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if pa.types.is_timestamp(arr.type) and arr.type.tz is None and isinstance(column_type, UTCDateTime):
            earliest = pc.min(arr).as_py()
            if earliest is None or earliest >= _SHANGHAI_FROM:
                text = pc.cast(pc.cast(arr, pa.timestamp("us")), pa.string())
                columns[field] = pc.binary_join_element_wise(text, "+08", "")
                continue
            arr = pa.array(
                [None if v is None else v.isoformat() for v in _processed(bulk, field, frame)], pa.string()
            )
        elif bulk.processors[field] is not None:
            values = _processed(bulk, field, frame)
            if not all(
                v is None or (isinstance(v, str | int | float) and not isinstance(v, bool)) for v in values
            ):
                return None
            try:
                arr = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return None
        if pa.types.is_floating(arr.type) and isinstance(column_type, Integer):
            try:
                arr = pc.cast(arr, pa.int64())  # a nullable integer column pandas holds as floats
            except pa.ArrowInvalid:
                return None
        kind = arr.type
        if not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_decimal(kind)
            or pa.types.is_date32(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_null(kind)
        ):
            return None
        columns[field] = arr
    return columns


def _processed(bulk: BulkInsert, field: str, frame: pd.DataFrame) -> list[Any]:
    return [bulk.process(field, v) for v in column_values(frame[field])]


def _csv_chunks(rows: pa.Table | pa.RecordBatchReader) -> Iterator[bytes]:
    """The rows as CSV (no header; a missing value unquoted and empty, which ``COPY`` reads as
    NULL, every string quoted, so an empty string stays one), with the row's number appended."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    batches = rows.to_batches(STAGE_BATCH) if isinstance(rows, pa.Table) else rows
    start = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        order = pa.array(range(start, start + batch.num_rows), pa.int64())
        start += batch.num_rows
        numbered = pa.Table.from_batches([batch]).append_column(_ORDER, order)
        sink = pa.BufferOutputStream()
        pacsv.write_csv(numbered, sink, options)
        yield sink.getvalue().to_pybytes()


_FOREIGN_KEYS = """
SELECT a.attname, c.confrelid::regclass::text, r.attname
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
WHERE c.conrelid = %(table)s::regclass AND c.contype = 'f'
  AND cardinality(c.conkey) = 1 AND c.confmatchtype = 's'
"""
_OTHER_TRIGGERS = """
SELECT
  (SELECT count(*) FROM pg_constraint c
   WHERE c.conrelid = %(table)s::regclass AND c.contype = 'f'
     AND (cardinality(c.conkey) <> 1 OR c.confmatchtype <> 's')),
  (SELECT count(*) FROM pg_trigger t LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint
   WHERE t.tgrelid = %(table)s::regclass AND c.contype IS DISTINCT FROM 'f')
  + (SELECT count(*) FROM pg_rewrite r WHERE r.ev_class = %(table)s::regclass),
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user){granted}
"""
_GRANTED = " OR has_parameter_privilege('session_replication_role', 'SET')"  # PostgreSQL 15 on


def _checked_once(
    cursor: Any, into: str, stage: str, staged: Mapping[str, str], constant: Mapping[str, Any]
) -> bool:
    """Check the staged rows' foreign keys once for the whole batch, the way the per-row check
    would (every non-null value names a row of the referenced table, which is locked ``FOR KEY
    SHARE`` against a concurrent delete until the version commits). True when every foreign key
    of the table was checked and holds, and nothing else hangs on the table's triggers: then the
    ``INSERT … SELECT`` may run without the per-row checks. False leaves them on — also where a
    key does not hold, so that PostgreSQL names the violation itself.

    ``staged``: the column names of the staging table (the same in both); ``constant``: column
    name → the value bound on every row."""
    granted = _GRANTED if cursor.connection.info.server_version >= 150000 else ""
    cursor.execute(_OTHER_TRIGGERS.format(granted=granted), {"table": into})
    other_keys, other_triggers, may_skip = cursor.fetchone()
    if other_keys or other_triggers or not may_skip:
        return False
    cursor.execute(_FOREIGN_KEYS, {"table": into})
    foreign_keys = cursor.fetchall()
    if any(column in staged for column, _, _ in foreign_keys):
        cursor.execute(f"ANALYZE {stage}")  # a plan for 100k keys, not for the empty table's guess
    for column, referenced, key in foreign_keys:
        ref, ref_key = referenced, f'"{key}"'
        if column in constant:
            if constant[column] is None:
                continue
            cursor.execute(
                f"SELECT 1 FROM ONLY {ref} x WHERE x.{ref_key} = %s FOR KEY SHARE OF x", [constant[column]]
            )
            if cursor.fetchone() is None:
                return False
        elif column in staged:
            name = f'"{column}"'
            # rows this transaction wrote itself (xmin) are out of other transactions' reach until it
            # commits (new ones unseen, updated ones locked by the update): only the others are locked
            found = f"SELECT 1 FROM ONLY {ref} x WHERE x.{ref_key} IN (SELECT {name} FROM {stage})"
            cursor.execute(
                f"SELECT (SELECT count(DISTINCT {name}) FROM {stage}), "
                f"(SELECT count(*) FROM ({found} AND x.xmin = pg_current_xact_id()::xid) ours), "
                f"(SELECT count(*) FROM ({found} AND x.xmin <> pg_current_xact_id()::xid "
                f"FOR KEY SHARE OF x) locked)"
            )
            wanted, ours, locked = cursor.fetchone()
            if wanted != ours + locked:
                return False
        else:  # a column the rows leave to its default: not checked here
            return False
    return True


def _insert_staged_pg(
    session: Session,
    table: FromClause,
    columns: Mapping[str, pa.Array] | pa.RecordBatchReader,
    constant: Mapping[str, Any],
) -> None:
    """PostgreSQL: ``COPY`` the rows as CSV into a temporary table that goes away at the end of
    the version's transaction (commit or rollback), check their foreign keys once for the batch,
    then one ``INSERT … SELECT`` in their order, without the per-row checks when the batch's
    check holds (:func:`_checked_once`)."""
    connection = session.connection()
    rows = columns if isinstance(columns, pa.RecordBatchReader) else pa.table(dict(columns))
    keys = list(rows.schema.names)
    target = table.c  # type: ignore[attr-defined]
    quote = connection.dialect.identifier_preparer.quote
    into = connection.dialect.identifier_preparer.format_table(table)  # type: ignore[arg-type]
    staged_names = ", ".join(quote(target[k].name) for k in keys)
    stage = f"salesync_stage_{next(_stage_names)}"
    bulk = BulkInsert(session, table, [*keys, *constant])
    values = {target[k].name: bulk.process(k, v) for k, v in constant.items()}
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    started = time.perf_counter()
    try:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
            f"SELECT {staged_names}, 0::bigint AS {_ORDER} FROM {into} WITH NO DATA"
        )
        with cursor.copy(f"COPY {stage} ({staged_names}, {_ORDER}) FROM STDIN WITH (FORMAT csv)") as copy:
            for chunk in _csv_chunks(rows):
                copy.write(chunk)
        del rows
        copied = time.perf_counter()
        once = _checked_once(cursor, into, stage, {target[k].name: k for k in keys}, values)
        checked = time.perf_counter()
        names = ", ".join(quote(target[k].name) for k in [*keys, *constant])
        typed = connection.dialect.type_compiler_instance.process
        picked = ", ".join(
            [
                *(quote(target[k].name) for k in keys),
                *(f"CAST(%s AS {typed(target[k].type)})" for k in constant),
            ]
        )
        if once:  # the batch's check stands for the per-row checks: off for this one statement
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            cursor.execute(
                f"INSERT INTO {into} ({names}) SELECT {picked} FROM {stage} ORDER BY {_ORDER}",
                list(values.values()),
            )
            inserted = cursor.rowcount
        finally:
            if once and driver.info.transaction_status != _IN_ERROR:
                cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(f"DROP TABLE {stage}")  # done with it: its space back before the commit
        log.debug(
            "%s: %d rows staged in %.3f s, keys checked %s in %.3f s, inserted in %.3f s",
            into,
            inserted,
            copied - started,
            "once" if once else "row by row",
            checked - copied,
            time.perf_counter() - checked,
        )
    finally:
        cursor.close()


_IN_ERROR = 3  # psycopg.pq.TransactionStatus.INERROR: a failed statement; the rollback undoes the SET LOCAL
