"""Typed frames to database rows: fingerprints for change detection and plain Python records."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import FromClause, Table, insert
from sqlalchemy.orm import Session

from schema.base import SHANGHAI


def joined(frame: pd.DataFrame, fields: Sequence[str], sep: str = "\x1f", blank: str = "\x00") -> list[str]:
    """Each row's values as one string (vectorised): the fingerprint's input, and the work log's
    record of a new row."""
    if frame.empty:
        return []
    parts = [pc.fill_null(pc.cast(pa.array(frame[f], from_pandas=True), pa.string()), blank) for f in fields]
    return list(pc.binary_join_element_wise(*parts, sep).to_pylist())


def row_hashes(frame: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """A 64-bit fingerprint of each row's values: equal rows, equal hashes."""
    blake = hashlib.blake2b
    return [blake(text.encode(), digest_size=8).hexdigest() for text in joined(frame, fields)]


def column_values(series: pd.Series) -> list[Any]:
    """Python values of a typed column; naive date-times are Asia/Shanghai wall-clock time."""
    arr = pa.array(series, from_pandas=True)
    values = arr.to_pylist()
    if pa.types.is_timestamp(arr.type):
        return [v.replace(tzinfo=SHANGHAI) if v is not None else None for v in values]
    return values


def records(frame: pd.DataFrame, fields: Sequence[str], **constant: Any) -> list[dict[str, Any]]:
    columns = {f: column_values(frame[f]) for f in fields}
    out = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    if constant:
        for rec in out:
            rec.update(constant)
    return out


INSERT_CHUNK = 5000  # rows per executemany: bounds the memory of the Python parameter lists


class BulkInsert:
    """``INSERT`` of many rows, compiled once and handed to the driver's ``executemany``.

    Values are converted column by column with the column types' own bind processors, so the
    stored form is exactly what the ORM would store, without per-row statement bookkeeping or
    RETURNING."""

    def __init__(self, session: Session, table: FromClause, keys: Sequence[str]) -> None:
        self.target = cast(Table, table)
        self.connection = session.connection()
        dialect = self.connection.dialect
        self.keys = list(keys)
        compiled = insert(self.target).compile(dialect=dialect, column_keys=self.keys)
        self.positional = dialect.positional
        self.order = list(compiled.positiontup or []) if self.positional else self.keys
        if sorted(self.order) != sorted(self.keys):  # a Python-side default would need a value we do not send
            raise ValueError(f"insert into {self.target.name}: parameters {self.order} ≠ {self.keys}")
        self.sql = str(compiled)
        self.processors = {
            k: self.target.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in self.keys
        }

    def process(self, key: str, value: Any) -> Any:
        process = self.processors[key]
        return value if process is None else process(value)

    def execute(self, columns: dict[str, list[Any]], *, processed: Sequence[str] = ()) -> None:
        """Insert one chunk given as equal-length value lists per key (``processed`` keys are
        already in the driver's form)."""
        for key, process in self.processors.items():
            if process is not None and key not in processed:
                columns[key] = [process(v) for v in columns[key]]
        rows = zip(*(columns[k] for k in self.order), strict=True)
        params: list[Any] = (
            list(rows) if self.positional else [dict(zip(self.order, r, strict=True)) for r in rows]
        )
        if params:
            self.connection.exec_driver_sql(self.sql, params)


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
    fixed = {k: bulk.process(k, v) for k, v in constant.items()}
    for start in range(0, total, INSERT_CHUNK):
        part = picked.iloc[start : start + INSERT_CHUNK]
        columns: dict[str, list[Any]] = {f: column_values(part[f]) for f in fields}
        columns.update({k: [v] * len(part) for k, v in fixed.items()})
        bulk.execute(columns, processed=list(fixed))
    return total


def canon(value: Any) -> Any:
    """A comparable form of a value from a frame or from the database."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    if isinstance(value, Decimal):
        return round(float(value), 6)
    if isinstance(value, bool | int):
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def show(value: Any) -> str | None:
    """A value as people read it in a change set or a message."""
    value = canon(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)
