"""Typed frames to database rows: fingerprints for change detection and plain Python records."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from operator import methodcaller
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Date, Numeric

from schema.base import SHANGHAI, UTCDateTime
from sync.core.bulk import INSERT_CHUNK as INSERT_CHUNK
from sync.core.bulk import MULTIROW_MAX as MULTIROW_MAX
from sync.core.bulk import BulkInsert


def joined_array(
    frame: pd.DataFrame, fields: Sequence[str], sep: str = "\x1f", blank: str = "\x00"
) -> pa.Array:
    """Each row's values as one string, as an Arrow array (vectorised)."""
    if frame.empty:
        return pa.array([], pa.string())
    parts = [pc.fill_null(pc.cast(pa.array(frame[f], from_pandas=True), pa.string()), blank) for f in fields]
    return pc.binary_join_element_wise(*parts, sep)


def joined(frame: pd.DataFrame, fields: Sequence[str], sep: str = "\x1f", blank: str = "\x00") -> list[str]:
    """Each row's values as one string: the fingerprint's input, and the work log's record of a
    new row."""
    return list(joined_array(frame, fields, sep, blank).to_pylist())


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def _bytes(values: pa.Array | pa.ChunkedArray) -> list[np.ndarray]:
    """The raw UTF-8 data of a string array's values, as bytes."""
    out = []
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        _validity, offsets, data = chunk.buffers()
        if data is not None and len(chunk):
            ends = np.frombuffer(offsets, np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
            out.append(np.frombuffer(data, np.uint8)[ends[0] : ends[-1]])
    return out


def _escaped(data: np.ndarray) -> bool:
    return bool((data < 0x20).any() or (data == 0x22).any() or (data == 0x5C).any())  # control, " and \\


def _unusual(data: np.ndarray) -> bool:
    """Control characters that JSON writes as \\u00XX."""
    low = data[data < 0x20]
    return bool(low.size and ((low != 0x09) & (low != 0x0A) & (low != 0x0D)).any())


def _json_body(values: pa.Array) -> pa.Array:
    """Each string as JSON writes it between its quotes (``ensure_ascii=False``).

    Only ASCII needs escaping, and no byte of a multi-byte UTF-8 character is ASCII, so a look at
    the raw bytes tells whether there is anything to do."""
    values = pc.cast(values, pa.string())
    data = _bytes(values)
    if not any(_escaped(d) for d in data):
        return values
    if any(_unusual(d) for d in data):
        return pa.array(
            [None if v is None else json.dumps(v, ensure_ascii=False)[1:-1] for v in values.to_pylist()],
            pa.string(),
        )
    for plain, escaped in _JSON_ESCAPES:
        values = pc.replace_substring(values, plain, escaped)
    return values


def json_strings(values: pa.Array) -> pa.Array:
    """Each string as ``json.dumps(value, ensure_ascii=False)`` writes it (vectorised)."""
    return pc.binary_join_element_wise('"', _json_body(values), '"', "")


def json_joined(frame: pd.DataFrame, fields: Sequence[str], sep: str = "\t") -> pa.Array:
    """Each row's values joined by ``sep`` (a blank for a missing value), as JSON strings: equal to
    ``json_strings(joined_array(frame, fields, sep, ""))``, escaping column by column."""
    if frame.empty:
        return pa.array([], pa.string())
    parts = [
        _json_body(pc.fill_null(pc.cast(pa.array(frame[f], from_pandas=True), pa.string()), ""))
        for f in fields
    ]
    glue = json.dumps(sep, ensure_ascii=False)[1:-1]
    return pc.binary_join_element_wise('"', pc.binary_join_element_wise(*parts, glue), '"', "")


_BLAKE64 = partial(hashlib.blake2b, digest_size=8)
_HEXDIGEST = methodcaller("hexdigest")


def row_hashes(frame: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """A 64-bit fingerprint of each row's values: equal rows, equal hashes."""
    if frame.empty:
        return []
    texts = pc.cast(joined_array(frame, fields), pa.binary()).to_pylist()  # UTF-8 bytes, as encode() gives
    return list(map(_HEXDIGEST, map(_BLAKE64, texts)))


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


def driver_values(bulk: BulkInsert, key: str, series: pd.Series) -> list[Any] | None:
    """A typed column in the driver's form, converted by Arrow in one pass where that is known to
    give exactly what the column type's bind processor gives (``tests/test_rows.py`` holds them
    side by side); None where it is not, and the processor converts value by value."""
    arr = driver_array(bulk, key, series)
    return None if arr is None else arr.to_pylist()


_SQLITE_UTC_FROM = np.datetime64("1992-01-01")  # Asia/Shanghai kept daylight saving time until 1991
_SHANGHAI_OFFSET_S = 8 * 3600


def driver_array(bulk: BulkInsert, key: str, series: pd.Series) -> pa.Array | None:
    """:func:`driver_values` as an Arrow array."""
    if bulk.dialect_name != "sqlite":
        return None
    column_type = bulk.target.c[key].type
    arr = pa.array(series, from_pandas=True)
    if pa.types.is_date32(arr.type) and isinstance(column_type, Date):
        return pc.cast(arr, pa.string())  # DATE: YYYY-MM-DD
    if pa.types.is_floating(arr.type) and isinstance(column_type, Numeric):
        return arr  # NUMERIC on SQLite binds a float as itself
    if (
        pa.types.is_timestamp(arr.type)
        and arr.type.unit == "s"
        and arr.type.tz is None
        and isinstance(column_type, UTCDateTime)
    ):
        earliest = pc.min(arr).as_py()
        if earliest is not None and np.datetime64(earliest) < _SQLITE_UTC_FROM:
            return None
        # the sheet's wall-clock time, stored as UTC: Asia/Shanghai is UTC+8 all year since 1992
        seconds = pc.subtract(pc.cast(arr, pa.int64()), _SHANGHAI_OFFSET_S)
        utc = pc.cast(pc.cast(seconds, pa.timestamp("s")), pa.string())
        return pc.binary_join_element_wise(utc, ".000000", "")  # DATETIME's storage format
    return None


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
