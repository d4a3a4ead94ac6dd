"""The comparison engine of reconciliation on typed frames: exactly the injected differences."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from sync.kinds.reports import get_report
from sync.reconcile.compare import Difference, Likely, compare

RECEIPTS = get_report("receipts")


def receipts(rows: list[dict[str, object]], first_row: int = 5) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=RECEIPTS.fields)
    frame["paid_at"] = pd.to_datetime(frame["paid_at"]).dt.date
    frame.index = range(first_row, first_row + len(frame))
    return frame


def row(no: str, amount: float, name: str = "张丽", day: int = 10) -> dict[str, object]:
    return {
        "receipt_no": no,
        "paid_at": dt.date(2026, 11, day),
        "project": "滨江花园",
        "room_code": "A-1-0101",
        "customer_name": name,
        "subscription_no": "RG001",
        "category": "定金",
        "method": "转账",
        "payer": name,
        "amount": amount,
        "reverses": None,
    }


@pytest.fixture
def system() -> pd.DataFrame:
    return receipts([row(f"P{i:03d}", 1000.0 + i) for i in range(1, 9)], first_row=0)


def test_identical_reports_agree(system: pd.DataFrame) -> None:
    result = compare(RECEIPTS, receipts(system.to_dict("records")), system)
    assert result.agrees and result.matched_rows == 8
    assert [t.difference for t in result.totals] == [Decimal("0.00")]


def test_exactly_the_injected_differences_are_found(system: pd.DataFrame) -> None:
    manual_rows = system.to_dict("records")
    del manual_rows[1]  # P002 missing from the manual report
    manual_rows.append(row("P999", 500.0))  # an extra row
    manual_rows[2]["amount"] += 0.01  # P004 off by a cent
    manual_rows[3]["amount"] += 100  # P005 off by 100
    manual_rows[4]["customer_name"] = "张　丽"  # P006: a full-width space, not a mismatch
    manual_rows[4]["payer"] = " 张丽　"
    manual_rows[5]["paid_at"] = dt.date(2026, 11, 11)  # P007 one day later
    manual = receipts(manual_rows)

    result = compare(RECEIPTS, manual, system)
    found = {(m.difference, m.key, m.header, m.manual, m.system, m.likely) for m in result.mismatches}
    assert found == {
        (Difference.ONLY_SYSTEM, "P002", None, None, None, None),
        (Difference.ONLY_MANUAL, "P999", None, None, None, None),
        (Difference.CELL, "P004", "金额", "1004.01", "1004.00", None),
        (Difference.CELL, "P005", "金额", "1105.00", "1005.00", None),
        (Difference.CELL, "P007", "交款时间", "2026-11-11", "2026-11-10", Likely.DATE_LAG),
    }
    rows = {m.key: m.row for m in result.mismatches}
    assert rows["P004"] == 7 and rows["P999"] == 12 and rows["P002"] is None
    (total,) = result.totals
    # Independently: manual = system − P002 + P999 + 0.01 + 100.
    assert total.system == Decimal("8036.00")
    assert total.manual == Decimal("8036.00") - Decimal("1002.00") + Decimal("500.00") + Decimal("100.01")


def test_a_row_the_system_dated_just_outside_the_period_is_a_likely_late_entry(system: pd.DataFrame) -> None:
    manual = receipts([*system.to_dict("records"), row("P100", 88.0, day=30)])
    nearby = receipts([row("P100", 88.0, day=1) | {"paid_at": dt.date(2026, 12, 1)}], first_row=0)
    result = compare(RECEIPTS, manual, system, nearby=nearby)
    (only,) = result.mismatches
    assert only.difference is Difference.ONLY_MANUAL and only.likely is Likely.DATE_LAG

    far = receipts([row("P100", 88.0) | {"paid_at": dt.date(2026, 12, 20)}], first_row=0)
    assert compare(RECEIPTS, manual, system, nearby=far).mismatches[0].likely is None


def test_a_repeated_key_in_the_manual_report_is_reported(system: pd.DataFrame) -> None:
    manual = receipts([*system.to_dict("records"), row("P001", 1001.0)])
    result = compare(RECEIPTS, manual, system)
    assert [(m.difference, m.row) for m in result.mismatches] == [(Difference.DUPLICATE, 13)]


def test_composite_keys_and_date_times_compare_to_the_minute() -> None:
    spec = get_report("calls_visits")
    base = {
        "at": pd.Timestamp("2026-11-20 14:30:00"),
        "rep": "张丽",
        "customer_name": "王五",
        "customer_phone": "13800138000",
        "kind": "来访",
        "source": "网络",
        "is_new": True,
        "content": "看样板间",
    }
    system = pd.DataFrame([base, base | {"kind": "来电"}], columns=spec.fields)
    manual = pd.DataFrame(
        [base | {"at": pd.Timestamp("2026-11-20 14:30:41")}, base | {"kind": "来电", "content": "问价格"}],
        columns=spec.fields,
        index=[2, 3],
    )
    result = compare(spec, manual, system)
    assert [(m.difference, m.row, m.header, m.manual) for m in result.mismatches] == [
        (Difference.CELL, 3, "事件内容", "问价格")
    ]
    assert result.mismatches[0].key == "13800138000 / 2026-11-20 14:30 / 来电"
