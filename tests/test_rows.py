"""Typed frame columns in the driver's form: the one-pass Arrow conversion gives exactly what the
column types' own bind processors give, value by value."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pytest

from schema.models import Customer, CustomerEvent
from sync.app import Salesync
from sync.core.rows import BulkInsert, column_values, driver_values


def _series(values: list[object], arrow_type: pa.DataType) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, type=arrow_type)))


CASES = [
    (
        Customer,
        "first_contact_date",
        _series([dt.date(2026, 1, 2), None, dt.date(1999, 12, 31), dt.date(2026, 11, 27)], pa.date32()),
    ),
    (Customer, "intended_area", _series([89.5, None, 120.25, 0.01, 1e9], pa.float64())),
    (Customer, "budget", _series([3_000_000.0, None, 1234567.89], pa.float64())),
    (
        CustomerEvent,
        "at",
        _series(
            [
                dt.datetime(2026, 11, 27, 10, 30),
                None,
                dt.datetime(2026, 1, 1, 0, 0, 5),  # the UTC day before
                dt.datetime(2000, 2, 29, 23, 59, 59),
            ],
            pa.timestamp("s"),
        ),
    ),
    (CustomerEvent, "next_follow_up", _series([None, dt.date(2027, 2, 1)], pa.date32())),
    (CustomerEvent, "at", _series([dt.datetime(1988, 7, 1, 12, 0)], pa.timestamp("s"))),  # DST era
]


@pytest.mark.parametrize(("model", "key", "series"), CASES)
def test_arrow_conversion_equals_the_bind_processor(
    app: Salesync, model: type, key: str, series: pd.Series
) -> None:
    with app.transaction() as session:
        table = model.__table__  # type: ignore[attr-defined]
        defaults = [c.key for c in table.c if c.default is not None and c.key != key]
        bulk = BulkInsert(session, table, [key, *defaults])
        expected = [bulk.process(key, v) for v in column_values(series)]
        fast = driver_values(bulk, key, series)
        session.rollback()
    if fast is not None:
        assert fast == expected
    dst_era = key == "at" and series.dropna().min().year < 1992  # left to the processor
    assert (fast is not None) == (bulk.dialect_name == "sqlite" and not dst_era)


TRICKY = [
    "plain",
    '引号"在这',
    "反斜杠\\",
    "制表\t符",
    "换\n行",
    "回\r车",
    "控制\x01字符",
    "",
    "全角　空格",
    "\u2028",
]


def test_json_strings_write_what_json_dumps_writes() -> None:
    from sync.core.rows import json_strings

    assert json_strings(pa.array(TRICKY[:7] + TRICKY[8:])).to_pylist() == [
        json.dumps(v, ensure_ascii=False) for v in TRICKY[:7] + TRICKY[8:]
    ]
    assert json_strings(pa.array(TRICKY)).to_pylist() == [json.dumps(v, ensure_ascii=False) for v in TRICKY]
    for start in range(len(TRICKY)):  # slices look only at their own bytes
        for length in (1, 2, 4):
            part = TRICKY[start : start + length]
            sliced = pa.array(TRICKY).slice(start, length)
            assert json_strings(sliced).to_pylist() == [json.dumps(v, ensure_ascii=False) for v in part]
    chunked = pa.chunked_array([pa.array(TRICKY[:3]), pa.array(TRICKY[3:])])
    assert json_strings(chunked).to_pylist() == [json.dumps(v, ensure_ascii=False) for v in TRICKY]


def test_json_joined_is_json_of_the_joined_row() -> None:
    from sync.core.rows import joined, json_joined

    columns = {
        "a": TRICKY,
        "b": [None, "x", "", "y\\", '"', "\t", "é", None, "全角", "z"],
    }
    plain = {"a": ["甲", "乙"], "b": ["1", None]}
    for data in (columns, plain):
        frame = pd.DataFrame({k: pd.array(v, dtype="string[pyarrow]") for k, v in data.items()})
        expected = [json.dumps(line, ensure_ascii=False) for line in joined(frame, ["a", "b"], "\t", "")]
        assert json_joined(frame, ["a", "b"], "\t").to_pylist() == expected
    assert json_joined(pd.DataFrame({"a": pd.array([], dtype="string[pyarrow]")}), ["a"]).to_pylist() == []


def test_new_rows_with_quotes_tabs_and_line_breaks_seal_and_verify(
    app: Salesync, people: dict[str, str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """New rows are sealed in the work log by digest (``sealing.seal_batch``): text that JSON would
    escape is encoded the same way read back from the database."""
    from sqlalchemy import select

    from schema.models import Customer
    from sync.domain import sealed_audit
    from tests.workbooks import customer_rows, fill_template

    rows = customer_rows(3)
    for row, note in zip(rows["客户"], ['说"要"高层', "a\\b\tc", "第一行\n第二行"], strict=True):
        row["备注"] = note
    app.ingest(fill_template("customers", rows, tmp_path / "客户登记.xlsx"), "rep_a")
    with app.transaction() as session:
        # as stored: runs of spaces, tabs and line breaks fold to one space
        notes = session.scalars(select(Customer.note).order_by(Customer.id)).all()
        assert notes == ['说"要"高层', "a\\b c", "第一行 第二行"]
        report = sealed_audit.verify(session)
    assert report.ok and report.rows == 6, report.message()
