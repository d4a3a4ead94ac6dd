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


def row_hashes(frame: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """A 64-bit fingerprint of each row's values: equal rows, equal hashes (vectorised join)."""
    if frame.empty:
        return []
    parts = [pc.fill_null(pc.cast(pa.array(frame[f], from_pandas=True), pa.string()), "\x00") for f in fields]
    joined = pc.binary_join_element_wise(*parts, "\x1f").to_pylist()
    blake = hashlib.blake2b
    return [blake(text.encode(), digest_size=8).hexdigest() for text in joined]


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


def insert_frame(
    session: Session,
    table: FromClause,
    frame: pd.DataFrame,
    fields: Sequence[str],
    positions: Sequence[int] | None = None,
    **constant: Any,
) -> int:
    """Insert rows of a typed frame (all of it, or the given positions) with a plain Core
    executemany, chunk by chunk: every parameter set has the same keys, so the driver sees one
    statement, and no ORM bookkeeping or RETURNING is paid per row. Returns the rows inserted."""
    picked = frame if positions is None else frame.iloc[list(positions)]
    total = len(picked)
    stmt = insert(cast(Table, table))
    for start in range(0, total, INSERT_CHUNK):
        session.execute(stmt, records(picked.iloc[start : start + INSERT_CHUNK], fields, **constant))
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
