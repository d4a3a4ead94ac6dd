"""From a sheet's raw strings to a typed frame and its findings.

``prepare`` normalises every column by its spec type (``validators.normalize``), then runs the
sheet's pandera schema lazily so that every failure is collected at once, and turns each failure
into a :class:`Finding` at the cell the user sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import numpy as np
import pandas as pd
import pandera.pandas as pdr
import pyarrow as pa
import pyarrow.compute as pc

from schema.spec import TEXT_TYPES, ColType, Column, Sheet
from validators import normalize
from validators.findings import Finding, display

STRING = pd.ArrowDtype(pa.string())


@dataclass
class Prepared:
    """A sheet's typed frame (index = Excel row) and the findings of its cells."""

    sheet: Sheet
    frame: pd.DataFrame
    raw: pd.DataFrame
    findings: list[Finding]

    def bad_rows(self) -> set[int]:
        return {f.row for f in self.findings if f.row is not None and f.severity == "error"}


def _finding(
    sheet: Sheet, col: Column, raw: pd.Series, rows: np.ndarray, code: str, **params: Any
) -> list[Finding]:
    values = raw.loc[rows] if len(rows) else raw.iloc[:0]
    return [
        Finding(code, sheet.name, int(row), col.header, display(value), dict(params))
        for row, value in zip(rows, values, strict=True)
    ]


def _typed(col: Column, raw: pa.Array) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """The typed column and masks of unreadable cells, by finding code."""
    match col.type:
        case ColType.TEXT | ColType.CHOICE:
            return normalize.fold(raw), {}
        case ColType.CODE:
            return normalize.code(raw), {}
        case ColType.PHONE:
            p = normalize.mobile(raw)
            return p.values, {"phone-invalid": p.bad}
        case ColType.ANY_PHONE:
            p = normalize.any_phone(raw)
            return p.values, {"any-phone-invalid": p.bad}
        case ColType.ID_NUMBER:
            return normalize.code(raw), {}
        case ColType.DATE:
            p = normalize.date(raw)
            return p.values, {"not-date": p.bad}
        case ColType.DATETIME:
            p = normalize.datetime(raw)
            return p.values, {"not-datetime": p.bad}
        case ColType.DECIMAL:
            p = normalize.number(raw)
            return p.values, {"not-number": p.bad}
        case ColType.INTEGER:
            p = normalize.integer(raw)
            return p.values, {"not-integer": p.bad}
        case ColType.YES_NO:
            p = normalize.yes_no(raw)
            return p.values, {"yes-no": p.bad}
    raise AssertionError(col.type)


def typed_column(col: Column, raw: pa.Array) -> pa.Array:
    """One column's typed values as :func:`prepare` types them (unreadable cells null)."""
    return _typed(col, raw)[0]


def _decimals_check(places: int) -> pdr.Check:
    scale = 10.0**places

    def within(series: pd.Series) -> pd.Series:
        scaled = series.astype("float64") * scale
        return (scaled - scaled.round()).abs() < 1e-6

    return pdr.Check(within, name=f"decimals({places})", element_wise=False)


@cache
def pandera_schema(sheet: Sheet) -> pdr.DataFrameSchema:
    """The sheet's cell rules as a pandera schema, derived from the spec."""
    columns: dict[str, pdr.Column] = {}
    for col in sheet.columns:
        checks: list[pdr.Check] = []
        if col.choices:
            checks.append(pdr.Check.isin(list(col.choices)))
        if col.positive:
            checks.append(pdr.Check.gt(0))
        if col.minimum is not None:
            checks.append(pdr.Check.ge(col.minimum))
        if col.decimals is not None:
            checks.append(_decimals_check(col.decimals))
        columns[col.field] = pdr.Column(nullable=not col.required, checks=checks, required=True)
    return pdr.DataFrameSchema(columns, name=sheet.name, strict=False)


_CHECK_CODES: list[tuple[str, str, Callable[[Column], dict[str, Any]]]] = [
    ("not_nullable", "required", lambda c: {}),
    ("isin", "choice", lambda c: {"choices": "、".join(c.choices)}),
    ("greater_than_or_equal_to", "below-minimum", lambda c: {"minimum": c.minimum}),
    ("greater_than", "not-positive", lambda c: {}),
    ("decimals", "too-many-decimals", lambda c: {"decimals": c.decimals}),
]


def _pandera_findings(
    sheet: Sheet, frame: pd.DataFrame, raw: pd.DataFrame, unreadable: set[tuple[int, str]]
) -> list[Finding]:
    try:
        pandera_schema(sheet).validate(frame, lazy=True)
    except pdr.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    else:
        return []
    findings: list[Finding] = []
    failures = failures[failures["index"].notna() & failures["column"].isin(sheet.fields)]
    for (field, check), group in failures.groupby(["column", "check"], sort=False):
        col = sheet.column(str(field))
        code, params = next(
            ((c, p(col)) for prefix, c, p in _CHECK_CODES if str(check).startswith(prefix)), (None, {})
        )
        if code is None:
            continue
        rows = np.array(
            [int(r) for r in group["index"] if (int(r), col.field) not in unreadable], dtype=np.int64
        )
        findings.extend(_finding(sheet, col, raw[col.field], rows, code, **params))
    return findings


def _id_findings(sheet: Sheet, frame: pd.DataFrame, raw: pd.DataFrame) -> list[Finding]:
    """身份证 numbers (证件类型 身份证, or blank type with an 18-character number) get their check digit verified."""
    if "id_number" not in frame or frame["id_number"].isna().all():
        return []
    col = sheet.column("id_number")
    values = pa.array(frame["id_number"], type=pa.string())
    _, malformed, bad_check = normalize.id_card(values)
    id_type = frame["id_type"] if "id_type" in frame else pd.Series(None, index=frame.index, dtype=STRING)
    is_card = (id_type.fillna("身份证") == "身份证").to_numpy(dtype=bool)
    looks_18 = frame["id_number"].str.len().fillna(0).to_numpy() == 18
    explicit = (id_type == "身份证").fillna(False).to_numpy(dtype=bool)
    findings = _finding(
        sheet, col, raw[col.field], frame.index.to_numpy()[explicit & malformed], "id-invalid"
    )
    findings += _finding(
        sheet,
        col,
        raw[col.field],
        frame.index.to_numpy()[is_card & (looks_18 | explicit) & bad_check],
        "id-checksum",
    )
    return findings


def prepare(sheet: Sheet, raw: pd.DataFrame) -> Prepared:
    """Type and check one sheet. ``raw`` holds strings (or null) per field, indexed by Excel row."""
    rows = raw.index.to_numpy()
    typed: dict[str, Any] = {}
    findings: list[Finding] = []
    unreadable: set[tuple[int, str]] = set()
    for col in sheet.columns:
        column = raw[col.field] if col.field in raw else pd.Series(None, index=raw.index, dtype=STRING)
        values, bad = _typed(col, pa.array(column, type=pa.string(), from_pandas=True))
        typed[col.field] = pd.Series(pd.arrays.ArrowExtensionArray(values), index=raw.index)
        for code, mask in bad.items():
            if mask.any():
                findings += _finding(sheet, col, column, rows[mask], code)
                unreadable.update((int(r), col.field) for r in rows[mask])
        too_long = _too_long(sheet, col, values, column, rows)
        findings += too_long
        unreadable.update((cast(int, f.row), col.field) for f in too_long)
    frame = pd.DataFrame(typed, index=raw.index)
    findings += _pandera_findings(sheet, frame, raw, unreadable)
    findings += _id_findings(sheet, frame, raw)
    findings += duplicate_keys(sheet, frame, raw)
    return Prepared(sheet, frame, raw, findings)


SHOWN_CHARS = 40  # of an over-long value, in its finding


def _too_long(sheet: Sheet, col: Column, values: pa.Array, raw: pd.Series, rows: np.ndarray) -> list[Finding]:
    """An error at each cell whose value has more characters than its column holds: every database
    refuses or keeps it the same way, since none ever sees it."""
    if col.max_length is None or col.type not in TEXT_TYPES or not len(values):
        return []
    lengths = pc.fill_null(pc.utf8_length(values), 0).to_numpy(zero_copy_only=False)
    over = np.flatnonzero(lengths > col.max_length)
    out = []
    for i in over:
        text = str(raw.iloc[i])
        shown = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"
        params = {"length": int(lengths[i]), "limit": col.max_length}
        out.append(Finding("too-long", sheet.name, int(rows[i]), col.header, shown, params))
    return out


def duplicate_keys(sheet: Sheet, frame: pd.DataFrame, raw: pd.DataFrame) -> list[Finding]:
    """Every row repeating an earlier row's key is an error pointing at that earlier row."""
    if not sheet.key or frame.empty:
        return []
    keys = frame[list(sheet.key)]
    complete = keys.notna().all(axis=1)
    keys = keys[complete]
    dup = keys.duplicated(keep="first")
    if not dup.any():
        return []
    first_rows = keys.reset_index().groupby(list(sheet.key), dropna=False)["index"].transform("first")
    first_rows.index = keys.index
    col = sheet.column(sheet.key[-1] if len(sheet.key) == 1 else sheet.key[0])
    return [
        Finding(
            "duplicate-key",
            sheet.name,
            int(row),
            col.header,
            display(raw.at[row, col.field]),
            {"first_row": int(cast(Any, first_rows.at[row]))},
        )
        for row in keys.index[dup.to_numpy()]
    ]
