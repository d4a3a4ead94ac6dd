"""SQLite: many rows in through a scratch database.

Python's ``sqlite3`` binds every value through the interpreter, which makes a big first import
spend most of its write time in Python. Here the rows go from Arrow columns into a scratch SQLite
file through ADBC's SQLite driver, which binds them in C, and then into the real table with one
``INSERT … SELECT`` on the version's own connection, inside its transaction. The scratch file holds
a copy and nothing else: if the transaction rolls back, nothing of it stays in the database, and
the file is deleted when the connection returns to the pool.

The values are the ones the column types' bind processors give (``tests/test_staging.py`` holds
the two paths side by side), so what is stored does not depend on the way in."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import FromClause
from sqlalchemy.orm import Session

from schema.db import attach, attach_scratch
from sync.core.rows import INSERT_CHUNK, BulkInsert, column_values, driver_array, driver_values

log = logging.getLogger("salesync.staging")

STAGE_MIN_ROWS = 20_000  # below this, the multi-row INSERT is as fast and needs no scratch file


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
    if bulk.dialect_name == "sqlite" and total >= STAGE_MIN_ROWS:
        arrays = arrow_columns(bulk, picked, fields)
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
