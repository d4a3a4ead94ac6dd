"""The canonical form of applied rows, and their digests (docs/architecture.md, "The audit trail").

A version's new rows are sealed in the work log by digest instead of by value. The digest must come
out the same whether it is computed from the typed frame the plan applied (while the version is
written) or from the rows read back from SQLite or PostgreSQL (``salesync audit verify --deep``), so
both sides go through one canonical encoding, column by column, in Arrow:

- each value as text by the column's type in the table: text as stored; a date ``YYYY-MM-DD``; a
  date-time in UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` (a frame's naive date-time is Asia/Shanghai
  wall-clock time, as everywhere in salesync); a decimal rounded to the column's scale and written
  with exactly that many decimals (``85.50``); an integer in decimal digits; a boolean ``1``/``0``;
  a missing value is ``NUL`` (U+0000, which no cell can hold);
- a row is its values in the sealed column order (the key columns first), joined by U+001F, in
  UTF-8; its **row hash** is BLAKE2b with a 16-byte digest of that text;
- the rows are in ascending order of their key (the key columns' canonical text, compared byte by
  byte); the **batch digest** is SHA-256 over the row hashes in that order.

The row hashes are kept beside the entry (``sealed_rows``), so a digest that no longer holds can
name the first row that differs; the chained entry seals their digest, so the list itself cannot be
altered unnoticed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from operator import methodcaller
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, Table

from schema.base import SHANGHAI

ENCODING = "salesync-rows-1"  # names the encoding above in every sealed entry
NULL = "\x00"
SEP = "\x1f"
ROW_HASH_BYTES = 16
SHANGHAI_TZ = "Asia/Shanghai"

_BLAKE = partial(hashlib.blake2b, digest_size=ROW_HASH_BYTES)
_DIGEST = methodcaller("digest")


@dataclass(frozen=True)
class ColumnForm:
    """How one column's values are written canonically: ``kind`` is text, date, datetime, decimal,
    integer or boolean; ``scale`` the decimals of a decimal column."""

    kind: str
    scale: int = 0


def column_forms(table: Table, columns: Sequence[str]) -> dict[str, ColumnForm]:
    """The canonical form of each named column, from its type in the table."""
    out: dict[str, ColumnForm] = {}
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, Boolean):
            out[name] = ColumnForm("boolean")
        elif isinstance(kind, Numeric):
            out[name] = ColumnForm("decimal", kind.scale or 0)
        elif isinstance(kind, Integer):
            out[name] = ColumnForm("integer")
        elif isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime):
            out[name] = ColumnForm("datetime")
        elif isinstance(kind, Date):
            out[name] = ColumnForm("date")
        else:
            out[name] = ColumnForm("text")
    return out


def canonical_text(values: pa.Array, form: ColumnForm) -> pa.Array:
    """One column's values in canonical text (missing values as NUL)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_null(values.type):
        return pa.array([NULL] * len(values), pa.string())
    if form.kind == "datetime":
        if values.type.tz is None:  # a frame's naive date-time is Shanghai wall-clock time
            values = pc.assume_timezone(values, SHANGHAI_TZ)
        utc = pc.cast(pc.cast(values, pa.timestamp("us", tz="UTC")), pa.timestamp("us"))  # the UTC wall clock
        values = pc.cast(utc, pa.string())  # (formatting a zoned time is twenty times slower)
    elif form.kind == "decimal":
        if pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
            values = pc.round(pc.cast(values, pa.float64()), form.scale)
        values = pc.cast(pc.cast(values, pa.decimal128(38, form.scale), safe=False), pa.string())
    elif form.kind == "boolean":
        values = pc.cast(pc.cast(values, pa.int8()), pa.string())
    elif form.kind == "integer":
        values = pc.cast(pc.cast(values, pa.int64()), pa.string())
    else:  # text and dates: Arrow's text of a date32 is YYYY-MM-DD
        values = pc.cast(values, pa.string())
    return pc.fill_null(values, NULL)


def python_array(values: Sequence[Any], form: ColumnForm) -> pa.Array:
    """Values read from the database (or parsed from the log) as an Arrow array for :func:`canonical_text`."""
    if form.kind == "datetime":  # as naive UTC, then marked UTC: pyarrow's own handling of tzinfo varies
        utc = [None if v is None else _aware(v).astimezone(dt.UTC).replace(tzinfo=None) for v in values]
        return pc.cast(pa.array(utc, pa.timestamp("us")), pa.timestamp("us", tz="UTC"))
    if form.kind == "decimal":
        return pa.array([None if v is None else Decimal(str(v)) for v in values], pa.decimal128(38, 10))
    if form.kind == "date":
        return pa.array(values, pa.date32())
    if form.kind == "integer":
        return pa.array(values, pa.int64())
    if form.kind == "boolean":
        return pa.array(values, pa.bool_())
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def parse_shown(text: str | None, form: ColumnForm) -> Any:
    """A value as the work log shows it (``sync.core.rows.show``) back in its column's type."""
    if text is None:
        return None
    if form.kind == "datetime":
        return dt.datetime.fromisoformat(text)
    if form.kind == "date":
        return dt.date.fromisoformat(text)
    if form.kind == "decimal":
        return Decimal(text)
    if form.kind == "integer":
        return int(text)
    if form.kind == "boolean":
        return text == "是"
    return text


@dataclass(frozen=True)
class Canonical:
    """Rows in canonical order: their key texts, their row hashes one after the other (``blob``,
    16 bytes each), and each one's position in the input (``order``)."""

    keys: pa.Array
    blob: bytes
    order: np.ndarray

    def __len__(self) -> int:
        return len(self.order)

    def key(self, position: int) -> str:
        return str(self.keys[position].as_py())

    @property
    def hashes(self) -> list[bytes]:
        return split_hashes(self.blob)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.blob).hexdigest()


def split_hashes(blob: bytes) -> list[bytes]:
    return [blob[i : i + ROW_HASH_BYTES] for i in range(0, len(blob), ROW_HASH_BYTES)]


def batch_digest(hashes: Iterable[bytes]) -> str:
    """SHA-256 over row hashes in order (the same as :attr:`Canonical.digest`)."""
    h = hashlib.sha256()
    for row in hashes:
        h.update(row)
    return h.hexdigest()


HASH_CHUNK = 8192  # rows made into bytes and hashed at a time: bounds the Python objects alive at once


def canonical_rows(
    columns: Mapping[str, pa.Array], forms: Mapping[str, ColumnForm], order: Sequence[str], key: Sequence[str]
) -> Canonical:
    """Hash each row of ``columns`` (named, in ``order``) canonically and sort the rows by ``key``."""
    texts = {name: canonical_text(columns[name], forms[name]) for name in order}
    if not texts or not len(next(iter(texts.values()))):
        return Canonical(pa.array([], pa.string()), b"", np.array([], np.int64))
    key_text = pc.binary_join_element_wise(*[texts[k] for k in key], SEP)
    sort = pc.sort_indices(key_text)
    rows = pc.cast(pc.binary_join_element_wise(*[texts[name] for name in order], SEP), pa.binary())
    del texts
    blob = bytearray()
    for start in range(0, len(sort), HASH_CHUNK):
        part = pc.take(rows, sort.slice(start, HASH_CHUNK)).to_pylist()
        blob += b"".join(map(_DIGEST, map(_BLAKE, part)))
    return Canonical(pc.take(key_text, sort), bytes(blob), sort.to_numpy())


def frame_columns(frame: pd.DataFrame, names: Sequence[str]) -> dict[str, pa.Array]:
    """A typed frame's columns as Arrow arrays, by name."""
    return {name: pa.array(frame[name], from_pandas=True) for name in names}


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as inclusive ``[first, last]`` runs: a bulk insert's ids are one run."""
    out: list[list[int]] = []
    for i in sorted(ids):
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def shanghai_wall_clock(value: dt.datetime) -> str:
    """A stored date-time as a frame's text gives it (``YYYY-MM-DD HH:MM:SS``, Asia/Shanghai): how the
    log's keys write one."""
    return str(_aware(value).astimezone(SHANGHAI).replace(tzinfo=None))
