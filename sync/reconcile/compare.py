"""Dual-track reconciliation: a hand-made report against the system's, cell by cell (docs/domain.md §8).

Both sides arrive as typed frames with the report's fields as columns (the manual frame indexed by
the Excel row the controller sees). Every column is turned into a comparable form once, on the
whole column (Arrow and NumPy, no Python loop over rows):

- amounts and areas as whole cents (or the column's own number of decimals), so 0.004 is no
  difference and 0.01 is one;
- text width-folded and trimmed, and spaces next to Chinese characters dropped, so ``张　丽``
  (a name padded with a full-width space, as hand-made reports often do) equals ``张丽``;
- dates as dates, date-times to the minute.

Rows are matched by the report's key. What remains is rows only in the manual report, rows only in
the system, differing cells and the difference in totals. A differing date within a few days, or a
manual row the system holds just outside the period with everything else equal, is classified as a
likely entry delay (``date-lag``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schema.spec import ColType, Column
from sync.kinds.reports import ReportSpec
from validators.normalize import fold

LAG_DAYS = 3  # a date this close to the system's reads as a late entry, not a wrong figure
_SEP = "\x1f"


class Difference(StrEnum):
    ONLY_MANUAL = "only-manual"
    ONLY_SYSTEM = "only-system"
    CELL = "cell"
    DUPLICATE = "duplicate-key"

    @property
    def label(self) -> str:
        return {
            "only-manual": "仅手工有",
            "only-system": "仅系统有",
            "cell": "单元格不一致",
            "duplicate-key": "重复行",
        }[self.value]


class Likely(StrEnum):
    DATE_LAG = "date-lag"


@dataclass(frozen=True)
class Mismatch:
    difference: Difference
    key: str  # the key as people read it: values joined by " / "
    row: int | None = None  # Excel row in the manual report
    field: str | None = None
    header: str | None = None
    manual: str | None = None
    system: str | None = None
    likely: Likely | None = None
    #: a row on one side only, shown whole: (header, value as shown) for each compared column
    cells: tuple[tuple[str, str | None], ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "difference": self.difference.value,
            "key": self.key,
            "row": self.row,
            "field": self.field,
            "header": self.header,
            "manual": self.manual,
            "system": self.system,
            "likely": self.likely.value if self.likely else None,
            "cells": [list(c) for c in self.cells] if self.cells is not None else None,
        }


@dataclass(frozen=True)
class Total:
    field: str
    header: str
    manual: Decimal
    system: Decimal

    @property
    def difference(self) -> Decimal:
        return self.manual - self.system

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "header": self.header,
            "manual": str(self.manual),
            "system": str(self.system),
            "difference": str(self.difference),
        }


@dataclass
class Reconciliation:
    """``matched_rows`` counts the rows found on both sides with every compared cell equal: a row
    with a differing cell, or a row whose date moved, is a mismatch and not counted as matched."""

    report: ReportSpec
    manual_rows: int
    system_rows: int
    matched_rows: int
    mismatches: list[Mismatch] = field(default_factory=list)
    totals: list[Total] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.mismatches and all(t.difference == 0 for t in self.totals)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.report.id,
            "manual_rows": self.manual_rows,
            "system_rows": self.system_rows,
            "matched_rows": self.matched_rows,
            "agrees": self.agrees,
            "mismatches": [m.as_dict() for m in self.mismatches],
            "totals": [t.as_dict() for t in self.totals],
        }


# -- comparable forms -----------------------------------------------------------------------------


def _arrow(series: pd.Series) -> pa.Array:
    arr = pa.array(series, from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _numeric(col: Column) -> bool:
    return col.type in (ColType.DECIMAL, ColType.INTEGER)


def _column(col: Column, frame: pd.DataFrame) -> pa.Array:
    blank_type = pa.float64() if _numeric(col) else pa.string()
    if col.field not in frame:
        return pa.nulls(len(frame), blank_type)
    arr = _arrow(frame[col.field])
    return arr.cast(blank_type) if pa.types.is_null(arr.type) else arr


def _scale(col: Column) -> int:
    return 10 ** (col.decimals if col.decimals is not None else 2)


def _text(arr: pa.Array) -> pa.Array:
    folded = fold(arr.cast(pa.string()))
    folded = pc.replace_substring_regex(folded, r"(\p{Han})\s+", r"\1")
    return pc.replace_substring_regex(folded, r"\s+(\p{Han})", r"\1")


def comparable(col: Column, arr: pa.Array) -> pa.Array:
    """A column as values that compare equal exactly when a controller would call them equal:
    numbers scaled to whole cents (float64 holding integers), dates and minutes as ISO text, text
    folded."""
    if _numeric(col):
        values = arr if arr.type == pa.float64() else pc.cast(arr, pa.float64())
        return pc.round(pc.multiply(values, float(_scale(col))))
    if col.type is ColType.DATE:
        if pa.types.is_timestamp(arr.type):
            arr = pc.cast(arr, pa.date32())
        return pc.cast(arr, pa.string())
    if col.type is ColType.DATETIME:
        return pc.strftime(pc.floor_temporal(arr, unit="minute"), format="%Y-%m-%d %H:%M")
    if col.type is ColType.YES_NO:
        return pc.cast(arr, pa.string())
    return _text(arr)


def _same(a: pa.Array, b: pa.Array) -> np.ndarray:
    """Cell-wise equality where two blanks are equal."""
    equal = pc.fill_null(pc.equal(a, b), False)
    both_blank = pc.and_(pc.is_null(a), pc.is_null(b))
    return np.asarray(pc.or_(equal, both_blank).to_numpy(zero_copy_only=False), dtype=bool)


def _keys(spec: ReportSpec, frame: pd.DataFrame) -> pa.Array:
    parts = []
    for name in spec.key:
        col = spec.column(name)
        form = comparable(col, _column(col, frame))
        if _numeric(col):
            form = pc.cast(form, pa.int64())
        parts.append(pc.fill_null(pc.cast(form, pa.string()), ""))
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, _SEP)


def _display_key(key: str) -> str:
    return " / ".join(key.split(_SEP))


def _shown(col: Column, raw: pa.Array, form: pa.Array) -> list[str | None]:
    if _numeric(col):
        places = len(str(_scale(col))) - 1
        scale = _scale(col)
        return [None if v is None else f"{v / scale:.{places}f}" for v in form.to_pylist()]
    if col.type is ColType.DATETIME:
        return form.to_pylist()
    return [None if v is None else str(v) for v in raw.to_pylist()]


def _row_cells(
    columns: Sequence[Column], frame: pd.DataFrame, positions: np.ndarray
) -> list[tuple[tuple[str, str | None], ...]]:
    """Rows on one side only, whole: for each row, every compared column's header and value as
    shown (numbers with their decimals, dates as dates), so a controller sees what the row is."""
    if not len(positions):
        return []
    take = pa.array(positions, pa.int64())
    shown = []
    for col in columns:
        raw = pc.take(_column(col, frame), take)
        if col.type is ColType.DATE:
            shown.append(comparable(col, raw).to_pylist())
        else:
            shown.append(_shown(col, raw, comparable(col, raw)))
    headers = [c.header for c in columns]
    return [tuple(zip(headers, values, strict=True)) for values in zip(*shown, strict=True)]


def _first_positions(keys: pa.Array) -> np.ndarray:
    """For each key, the position of its first occurrence."""
    return np.asarray(pc.index_in(keys, value_set=keys).to_numpy(zero_copy_only=False), dtype="int64")


# -- the comparison -------------------------------------------------------------------------------


def compare(
    spec: ReportSpec,
    manual: pd.DataFrame,
    system: pd.DataFrame,
    *,
    nearby: pd.DataFrame | None = None,
    lag_days: int = LAG_DAYS,
    fields: Sequence[str] | None = None,
) -> Reconciliation:
    """Compare a manual report with the system's for the same scope and period.

    ``nearby`` holds the system's rows for the same scope dated within ``lag_days`` outside the
    period: a manual row found there, equal but for its date, is a likely entry delay. ``fields``
    limits the compared columns to those the manual report has (a controller's own sheet may
    leave some out); a column blank on every manual row is not compared either; the key always is.

    Cells are first compared as they are; only the few that differ are normalised and compared
    again, so the cost is one pass over the frames plus work in proportion to the differences."""
    man_keys, sys_keys = _keys(spec, manual), _keys(spec, system)
    excel_rows = np.asarray(manual.index, dtype="int64")
    result = Reconciliation(spec, len(manual), len(system), 0)

    first = _first_positions(man_keys) == np.arange(len(manual))
    for pos in np.flatnonzero(~first):
        result.mismatches.append(
            Mismatch(Difference.DUPLICATE, _display_key(man_keys[pos].as_py()), row=int(excel_rows[pos]))
        )
    sys_first = _first_positions(sys_keys) == np.arange(len(system))
    found = pc.index_in(man_keys, value_set=sys_keys)  # first occurrence in the system, or null
    hit = first & np.asarray(pc.is_valid(found).to_numpy(zero_copy_only=False), dtype=bool)
    matched_man = np.flatnonzero(hit)
    matched_sys = np.asarray(
        pc.take(found, pa.array(matched_man)).to_numpy(zero_copy_only=False), dtype="int64"
    )
    only_manual = np.flatnonzero(first & ~hit)
    seen_sys = np.zeros(len(system), dtype=bool)
    seen_sys[matched_sys] = True
    only_system = np.flatnonzero(sys_first & ~seen_sys)
    # A column the manual report leaves out, or leaves blank on every row, is not reported: not compared.
    compared = {
        f
        for f in (spec.fields if fields is None else fields)
        if f in spec.key or (f in manual and bool(manual[f].notna().any()))
    }
    shown_columns = [c for c in spec.columns if c.field in compared]
    lagged = _nearby_matches(spec, manual, man_keys, only_manual, nearby, lag_days)
    pairs: dict[int, int] = {}
    if spec.date_field in spec.key:  # a late entry moves the row's key: pair the rows up by the rest
        pairs = _lagged_pairs(spec, manual, system, only_manual, only_system, lag_days)
    if pairs:  # the same row with only its date moved: one item, the date cell
        date_col = spec.column(str(spec.date_field))
        man_pos = np.array(sorted(pairs), dtype="int64")
        sys_pos = np.array([pairs[p] for p in man_pos], dtype="int64")
        raw_a = pc.take(_column(date_col, manual), pa.array(man_pos))
        raw_b = pc.take(_column(date_col, system), pa.array(sys_pos))
        shown_a = _shown(date_col, raw_a, comparable(date_col, raw_a))
        shown_b = _shown(date_col, raw_b, comparable(date_col, raw_b))
        for i, pos in enumerate(man_pos):
            result.mismatches.append(
                Mismatch(
                    Difference.CELL,
                    _display_key(man_keys[int(pos)].as_py()),
                    row=int(excel_rows[pos]),
                    field=date_col.field,
                    header=date_col.header,
                    manual=shown_a[i],
                    system=shown_b[i],
                    likely=Likely.DATE_LAG,
                )
            )
        only_manual = np.setdiff1d(only_manual, man_pos)
        only_system = np.setdiff1d(only_system, sys_pos)
    man_cells = _row_cells(shown_columns, manual, only_manual)
    for pos, cells in zip(only_manual, man_cells, strict=True):
        result.mismatches.append(
            Mismatch(
                Difference.ONLY_MANUAL,
                _display_key(man_keys[pos].as_py()),
                row=int(excel_rows[pos]),
                likely=Likely.DATE_LAG if int(pos) in lagged else None,
                cells=cells,
            )
        )
    sys_cells = _row_cells(shown_columns, system, only_system)
    for pos, cells in zip(only_system, sys_cells, strict=True):
        result.mismatches.append(
            Mismatch(Difference.ONLY_SYSTEM, _display_key(sys_keys[pos].as_py()), cells=cells)
        )

    take_man, take_sys = pa.array(matched_man, pa.int64()), pa.array(matched_sys, pa.int64())
    differing: set[int] = set()  # matched manual rows with at least one differing cell
    for col in spec.columns:
        if col.field in spec.key or col.field not in compared:
            continue
        a = pc.take(_column(col, manual), take_man)
        b = pc.take(_column(col, system), take_sys)
        if _numeric(col) or a.type != b.type:
            candidates = np.arange(len(a))
        else:  # most cells are equal as they stand: normalise only the rest
            candidates = np.flatnonzero(~_same(a, b))
            if not len(candidates):
                continue
            a, b = a.take(pa.array(candidates)), b.take(pa.array(candidates))
        form_a, form_b = comparable(col, a), comparable(col, b)
        differs = np.flatnonzero(~_same(form_a, form_b))
        if not len(differs):
            continue
        pick = pa.array(differs)
        raw_a, raw_b = a.take(pick), b.take(pick)
        form_a, form_b = form_a.take(pick), form_b.take(pick)
        shown_a, shown_b = _shown(col, raw_a, form_a), _shown(col, raw_b, form_b)
        lag = _date_lag(col, raw_a, raw_b, lag_days)
        for i, d in enumerate(differs):
            pos = matched_man[candidates[d]]
            differing.add(int(pos))
            result.mismatches.append(
                Mismatch(
                    Difference.CELL,
                    _display_key(man_keys[pos].as_py()),
                    row=int(excel_rows[pos]),
                    field=col.field,
                    header=col.header,
                    manual=shown_a[i],
                    system=shown_b[i],
                    likely=Likely.DATE_LAG if lag[i] else None,
                )
            )
    result.matched_rows = len(matched_man) - len(differing)
    result.mismatches.sort(key=_order)
    result.totals = [t for t in _totals(spec, manual, system, first) if t.field in compared]
    return result


def _order(m: Mismatch) -> tuple[int, int, str]:
    return (m.row if m.row is not None else 1 << 40, list(Difference).index(m.difference), m.header or "")


def _date_lag(col: Column, a: pa.Array, b: pa.Array, lag_days: int) -> list[bool]:
    if col.type not in (ColType.DATE, ColType.DATETIME):
        return [False] * len(a)
    limit = dt.timedelta(days=lag_days)
    out = []
    for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True):
        if x is None or y is None:
            out.append(False)
            continue
        if isinstance(x, dt.datetime) != isinstance(y, dt.datetime):
            x, y = pd.Timestamp(x).to_pydatetime(), pd.Timestamp(y).to_pydatetime()
        out.append(abs(x - y) <= limit)
    return out


def _lagged_pairs(
    spec: ReportSpec,
    manual: pd.DataFrame,
    system: pd.DataFrame,
    only_manual: np.ndarray,
    only_system: np.ndarray,
    lag_days: int,
) -> dict[int, int]:
    """Manual-only and system-only rows equal in every column but the date, dated close together:
    manual position → system position."""
    if not len(only_manual) or not len(only_system) or spec.date_field is None:
        return {}
    rest = [c for c in spec.columns if c.field != spec.date_field]
    date_col = spec.column(spec.date_field)

    def signature(frame: pd.DataFrame, positions: np.ndarray) -> list[tuple[object, ...]]:
        take = pa.array(positions, pa.int64())
        forms = [comparable(c, pc.take(_column(c, frame), take)).to_pylist() for c in rest]
        return list(zip(*forms, strict=True))

    waiting: dict[tuple[object, ...], list[int]] = {}
    for pos, sig in zip(only_system, signature(system, only_system), strict=True):
        waiting.setdefault(sig, []).append(int(pos))
    dates_sys = _column(date_col, system)
    dates_man = _column(date_col, manual)
    pairs: dict[int, int] = {}
    for pos, sig in zip(only_manual, signature(manual, only_manual), strict=True):
        for other in waiting.get(sig, []):
            near = _date_lag(
                date_col, dates_man.take(pa.array([pos])), dates_sys.take(pa.array([other])), lag_days
            )
            if near[0] and other not in pairs.values():
                pairs[int(pos)] = other
                break
    return pairs


def _nearby_matches(
    spec: ReportSpec,
    manual: pd.DataFrame,
    man_keys: pa.Array,
    positions: np.ndarray,
    nearby: pd.DataFrame | None,
    lag_days: int,
) -> set[int]:
    """Manual-only rows that the system holds just outside the period, equal but for the date."""
    if nearby is None or nearby.empty or not len(positions) or spec.date_field is None:
        return set()
    wanted = pc.take(man_keys, pa.array(positions, pa.int64()))
    found = pc.index_in(wanted, value_set=_keys(spec, nearby))
    valid = np.asarray(pc.is_valid(found).to_numpy(zero_copy_only=False), dtype=bool)
    if not valid.any():
        return set()
    mine = pa.array(positions[valid], pa.int64())
    theirs = pc.drop_null(found)
    equal = np.ones(len(mine), dtype=bool)
    for col in spec.columns:
        if col.field == spec.date_field:
            continue
        a = comparable(col, pc.take(_column(col, manual), mine))
        b = comparable(col, pc.take(_column(col, nearby), theirs))
        equal &= _same(a, b)
    date_col = spec.column(spec.date_field)
    lag = _date_lag(
        date_col,
        pc.take(_column(date_col, manual), mine),
        pc.take(_column(date_col, nearby), theirs),
        lag_days,
    )
    return {int(p) for p, e, near in zip(positions[valid], equal, lag, strict=True) if e and near}


def _totals(spec: ReportSpec, manual: pd.DataFrame, system: pd.DataFrame, first: np.ndarray) -> list[Total]:
    out = []
    keep = pa.array(np.flatnonzero(first), pa.int64())
    for name in spec.totals:
        col = spec.column(name)
        scale = Decimal(_scale(col))
        m = pc.sum(comparable(col, pc.take(_column(col, manual), keep))).as_py() or 0
        s = pc.sum(comparable(col, _column(col, system))).as_py() or 0
        out.append(Total(name, col.header, Decimal(int(m)) / scale, Decimal(int(s)) / scale))
    return out
