"""Deal rows the domain refuses are clear row errors at the cell, and leave the database unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sync.app import Salesync
from sync.domain.tasks import tasks_for
from sync.pipeline.outcome import Verdict
from tests.deals import (
    R1,
    R2,
    add_staff,
    contract,
    errors,
    ingest,
    receipt,
    registered_customers,
    signed_project,
    snapshot,
    subscription,
)
from tests.workbooks import phone

S1 = subscription("S001", R1, "2026-10-10", 3441760, area=109.75, unit=31360)


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    return app


def _control(app: Salesync, rows: dict[str, list[dict[str, Any]]], tmp_path: Path) -> Any:
    return ingest(app, "sales_control", rows, tmp_path / "control" / "销控.xlsx", "control")


def test_subscribing_an_already_subscribed_room(site: Salesync, tmp_path: Path) -> None:
    rows: dict[str, list[dict[str, Any]]] = {"认购": [S1]}
    assert _control(site, rows, tmp_path).verdict is Verdict.ACCEPTED
    before = snapshot(site)
    rows["认购"].append(subscription("S002", R1, "2026-10-11", 3441760, area=109.75, unit=31360, customer=1))
    outcome = _control(site, rows, tmp_path)
    assert outcome.verdict is Verdict.PARTIAL
    assert errors(outcome) == [("认购", 3, "房间编码", "room-has-deal")]
    message = outcome.errors[0].message()
    assert "S001" in message and R1 in message and "一个房间只能有一笔交易" in message
    assert snapshot(site) == before


def test_contracting_a_cancelled_subscription(site: Salesync, tmp_path: Path) -> None:
    cancel = {
        "事务编号": "T001",
        "事务类型": "退房",
        "认购编号": "S001",
        "办理日期": "2026-10-12",
        "审批单号": "SP-1",
        "原因": "客户放弃",
    }
    rows: dict[str, list[dict[str, Any]]] = {"认购": [S1], "特殊事务": [cancel]}
    assert _control(site, rows, tmp_path).verdict is Verdict.ACCEPTED
    before = snapshot(site)
    rows["签约"] = [contract("C001", "S001", "2026-10-16", 3441760, area=109.75, unit=31360)]
    outcome = _control(site, rows, tmp_path)
    assert errors(outcome) == [("签约", 2, "认购编号", "contract-subscription-cancelled")]
    assert "已于 2026-10-12 退房" in outcome.errors[0].message()
    assert snapshot(site) == before


def test_reversing_a_receipt_twice(site: Salesync, tmp_path: Path) -> None:
    assert _control(site, {"认购": [S1]}, tmp_path).verdict is Verdict.ACCEPTED
    book = tmp_path / "finance" / "收款.xlsx"
    rows = {
        "收款": [
            receipt("R001", "S001", "定金", 50000, "2026-10-10 10:00"),
            receipt("R002", "S001", "定金", -50000, "2026-10-11 10:00", 红冲票据编号="R001"),
        ]
    }
    assert ingest(site, "finance", rows, book, "finance").verdict is Verdict.ACCEPTED
    before = snapshot(site)
    rows["收款"].append(receipt("R003", "S001", "定金", -10000, "2026-10-12 10:00", 红冲票据编号="R001"))
    outcome = ingest(site, "finance", rows, book, "finance")
    assert errors(outcome) == [("收款", 4, "红冲票据编号", "receipt-reversed-twice")]
    assert "已被 R002 红冲过" in outcome.errors[0].message()
    assert snapshot(site) == before


def test_a_reversal_never_exceeds_its_original_and_a_refund_never_exceeds_what_is_owed_back(
    site: Salesync, tmp_path: Path
) -> None:
    assert _control(site, {"认购": [S1]}, tmp_path).verdict is Verdict.ACCEPTED
    rows = {
        "收款": [
            receipt("R001", "S001", "定金", 50000, "2026-10-10 10:00"),
            receipt("R002", "S001", "定金", -60000, "2026-10-11 10:00", 红冲票据编号="R001"),
            receipt("R003", "S001", "退款", -1000, "2026-10-11 11:00"),
            receipt("R004", "S001", "首付款", -1000, "2026-10-11 12:00"),
            receipt("R005", "S009", "首付款", 1000, "2026-10-11 12:00"),
        ]
    }
    outcome = ingest(site, "finance", rows, tmp_path / "finance" / "收款.xlsx", "finance")
    assert errors(outcome) == [
        ("收款", 3, "金额", "reversal-exceeds"),
        ("收款", 4, "金额", "refund-exceeds-credit"),  # a live deal owing nothing back
        ("收款", 5, "金额", "receipt-negative"),
        ("收款", 6, "认购编号", "unknown-subscription"),
    ]


def test_subscription_terms_are_checked_against_master_data(site: Salesync, tmp_path: Path) -> None:
    wrong_price = subscription("S001", R1, "2026-10-10", 3441000, area=109.75, unit=31353.08)
    stale_plan = subscription(
        "S002", R2, "2027-01-05", 3483973.50, area=110.75, unit=31458
    )  # 98 ends 2026-12-31
    stranger = subscription("S003", f"{R1[:-4]}0501", "2026-10-10", 3400000, area=112.75, unit=30155.21)
    stranger["客户手机"] = "13700000000"
    wrong_area = subscription("S004", f"{R1[:-4]}0401", "2026-10-10", 3526383, area=110.00, unit=32058.03)
    outcome = _control(site, {"认购": [wrong_price, stale_plan, stranger, wrong_area]}, tmp_path)
    assert errors(outcome) == [
        ("认购", 2, "成交总价", "deal-price"),
        ("认购", 3, "折扣编码", "discount-not-valid"),
        ("认购", 4, "客户手机", "deal-unknown-customer"),
        ("认购", 5, "成交面积", "deal-area"),
    ]
    assert "应为 3,441,760.00 元" in outcome.errors[0].message()


def test_a_subscription_by_someone_elses_customer_is_a_collision(site: Salesync, tmp_path: Path) -> None:
    row = subscription("S001", R1, "2026-10-10", 3441760, area=109.75, unit=31360, rep="rep_b")
    outcome = _control(site, {"认购": [row]}, tmp_path)
    assert outcome.verdict is Verdict.ACCEPTED
    assert [(f.row, f.header, f.code) for f in outcome.findings if f.code == "subscription-collision"] == [
        (2, "置业顾问", "subscription-collision")
    ]
    assert "张丽" in next(f for f in outcome.findings if f.code == "subscription-collision").message()
    assert snapshot(site)["counts"]["collision"] == 1
    with site.transaction() as session:  # the sales manager is asked to settle it
        manager = tasks_for(session, "manager", dt.date(2026, 10, 12))
        assert [t.subject for t in manager.tasks if t.kind == "撞单"] == [phone(0)]
    # entered after its day: recorded as late, not refused; Saturday 10 October 2026 was a working day
    late = [f for f in outcome.findings if f.code == "deal-late-entry"]
    assert [(f.row, f.header, f.params["deadline"]) for f in late] == [(2, "认购日期", "2026-10-10 23:59")]


def test_deal_rows_missing_later_are_reported_not_deleted(site: Salesync, tmp_path: Path) -> None:
    rows: dict[str, list[dict[str, Any]]] = {"认购": [S1]}
    assert _control(site, rows, tmp_path).verdict is Verdict.ACCEPTED
    before = snapshot(site)
    rows["认购"] = []
    rows["房间控制"] = [{"房间编码": R2, "操作": "设为不可售", "原因": "样板间", "操作日期": "2026-10-12"}]
    outcome = _control(site, rows, tmp_path)
    assert outcome.verdict is Verdict.ACCEPTED
    assert [(f.sheet, f.value, f.code) for f in outcome.findings if f.code == "deal-row-missing"] == [
        ("认购", "S001", "deal-row-missing")
    ]
    after = snapshot(site)
    assert after["counts"]["subscription"] == before["counts"]["subscription"] == 1
    assert after["rooms"][R1] == "认购" and after["rooms"][R2] == "不可售"
