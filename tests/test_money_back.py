"""Money both ways on a live deal: a 面积补差 refund (and the double refund beyond −3%), a 换房
price-difference refund and an overpayment refund are recorded without a 退房; the true-up is its
own line on the schedule; an overpayment is a warning and a task for finance; a 红冲 carries the
category of what it reverses. Each refusal is at its cell, and nothing else is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import Subscription
from sync.app import Salesync
from sync.domain import closing, ledger, tasks
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

D = Decimal
B2 = "SZ-HW01-2-0201"
PRICE = 3441760  # R1 at 九八折: 109.75 m² at 31,360
CONTROL: dict[str, list[dict[str, Any]]] = {
    "房间控制": [],
    "认购": [subscription("S001", R1, "2026-10-10", PRICE, area=109.75, unit=31360)],
    "签约": [contract("C001", "S001", "2026-10-20", PRICE, area=109.75, unit=31360)],
    "特殊事务": [],
}
PAID = [
    receipt("P001", "S001", "定金", 50000, "2026-10-10 10:00"),
    receipt("P002", "S001", "首付款", 982528, "2026-10-17 10:00"),
    receipt("P003", "S001", "按揭款", 2409232, "2026-11-20 10:00"),  # paid in full: 3,441,760
]


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    outcome = ingest(app, "sales_control", CONTROL, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    return app


def pay(app: Salesync, tmp_path: Path, rows: list[dict[str, Any]]) -> Any:
    money = {"收款": rows, "按揭": [], "事务处理": []}
    return ingest(app, "finance", money, tmp_path / "finance" / "收款.xlsx", "finance")


def survey(app: Salesync, tmp_path: Path, gross: float) -> None:
    rows = {
        "面积补差": [{"房间编码": R1, "实测建筑面积": gross, "实测套内面积": 89.5, "测绘日期": "2027-06-01"}]
    }
    outcome = ingest(app, "service", rows, tmp_path / "service" / "销售服务.xlsx", "service")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors


def deal(app: Salesync, no: str = "S001") -> tuple[ledger.Balance, list[ledger.Instalment]]:
    with app.transaction() as session:
        sub = session.scalar(select(Subscription).where(Subscription.no == no))
        assert sub is not None
        return ledger.balance(session, sub, dt.date(2027, 7, 1)), ledger.schedule(session, sub)


def test_a_true_up_refund_beyond_minus_three_percent_is_recorded_on_the_live_deal(
    site: Salesync, tmp_path: Path
) -> None:
    assert pay(site, tmp_path, PAID).verdict is Verdict.ACCEPTED
    # 104.00 − 109.75 = −5.75 m²: 3.2925 m² refunded at 31,360 = 103,252.80, and 2.4575 m² at double
    # = 154,134.40; the buyer is owed 257,387.20
    survey(site, tmp_path, 104.0)
    balance, lines = deal(site)
    refund_line = lines[-1]
    assert (refund_line.category, refund_line.amount, refund_line.paid) == ("面积补差款", D("-257387.20"), 0)
    assert all(i.outstanding == 0 for i in lines[:-1])  # never netted into an instalment
    assert balance.credit == D("257387.20")
    with site.transaction() as session:
        due = tasks.tasks_for(session, "finance", dt.date(2027, 6, 2))
    assert [(t.kind, t.subject, t.amount) for t in due.tasks if t.kind == "退款"] == [
        ("退款", "S001", D("257387.20"))
    ]
    outcome = pay(
        site, tmp_path, [*PAID, receipt("P004", "S001", "面积补差款", -257387.20, "2027-06-10 10:00")]
    )
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    balance, lines = deal(site)
    assert (lines[-1].paid, balance.outstanding, balance.credit) == (D("-257387.20"), 0, 0)


def test_a_true_up_refund_beyond_what_is_owed_is_refused_at_its_cell(site: Salesync, tmp_path: Path) -> None:
    assert pay(site, tmp_path, PAID).verdict is Verdict.ACCEPTED
    survey(site, tmp_path, 109.0)  # −0.75 m² at 31,360: 23,520 owed to the buyer
    before = snapshot(site)
    outcome = pay(site, tmp_path, [*PAID, receipt("P004", "S001", "面积补差款", -30000, "2027-06-10 10:00")])
    assert errors(outcome) == [("收款", 5, "金额", "trueup-refund-exceeds")]
    assert "23,520.00" in outcome.errors[0].message()
    assert snapshot(site) == before


def test_a_cheaper_room_by_room_change_is_refunded_without_a_cancellation(
    site: Salesync, tmp_path: Path
) -> None:
    on_r2 = subscription("S002", R2, "2026-10-11", 3483973.50, area=110.75, unit=31458, customer=1)
    control = {**CONTROL, "认购": [*CONTROL["认购"], on_r2]}
    outcome = ingest(site, "sales_control", control, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    paid = [receipt("P101", "S002", "首付款", 3483973.50, "2026-10-12 10:00")]
    assert pay(site, tmp_path, paid).verdict is Verdict.ACCEPTED
    move = {
        "事务编号": "T001",
        "事务类型": "换房",
        "认购编号": "S002",
        "办理日期": "2026-11-25",
        "审批单号": "SP-T001",
        "原因": "客户申请",
        "新房间编码": B2,
        "新成交总价": PRICE,  # 2-0201 is 42,213.50 cheaper than R2
    }
    outcome = ingest(
        site, "sales_control", {**control, "特殊事务": [move]}, tmp_path / "control" / "销控.xlsx", "control"
    )
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    assert deal(site, "S002")[0].credit == D("42213.50")
    before = snapshot(site)
    too_much = pay(site, tmp_path, [*paid, receipt("P102", "S002", "退款", -42213.51, "2026-11-26 10:00")])
    assert errors(too_much) == [("收款", 3, "金额", "refund-exceeds-credit")]
    assert snapshot(site) == before
    outcome = pay(site, tmp_path, [*paid, receipt("P102", "S002", "退款", -42213.50, "2026-11-26 10:00")])
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    balance, _ = deal(site, "S002")
    assert (balance.outstanding, balance.credit) == (0, 0)


def test_an_overpayment_is_warned_and_finance_gets_a_task(site: Salesync, tmp_path: Path) -> None:
    rows = [*PAID[:2], receipt("P003", "S001", "楼款", 5000000, "2026-11-20 10:00")]
    outcome = pay(site, tmp_path, rows)
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    warned = [(f.row, f.header, f.code) for f in outcome.findings if f.code == "receipt-overpaid"]
    assert warned == [(4, "金额", "receipt-overpaid")]
    over = D(50000 + 982528 + 5000000 - PRICE)
    with site.transaction() as session:
        due = tasks.tasks_for(session, "finance", dt.date(2026, 11, 21))
    assert [(t.kind, t.amount) for t in due.tasks if t.kind == "退款"] == [("退款", over)]
    outcome = pay(site, tmp_path, [*rows, receipt("P004", "S001", "退款", -float(over), "2026-11-22 10:00")])
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors


def test_a_red_reversal_must_carry_the_category_it_reverses(site: Salesync, tmp_path: Path) -> None:
    assert pay(site, tmp_path, PAID[:2]).verdict is Verdict.ACCEPTED
    before = snapshot(site)
    wrong = receipt("P009", "S001", "楼款", -982528, "2026-10-18 10:00", 红冲票据编号="P002")
    outcome = pay(site, tmp_path, [*PAID[:2], wrong])
    assert errors(outcome) == [("收款", 4, "款项类别", "reversal-category")]
    assert "首付款" in outcome.errors[0].message()
    assert snapshot(site) == before


def test_finance_then_control_close_a_cancellation(site: Salesync, tmp_path: Path) -> None:
    assert pay(site, tmp_path, PAID[:1]).verdict is Verdict.ACCEPTED
    cancel = {
        "事务编号": "T009",
        "事务类型": "退房",
        "认购编号": "S001",
        "办理日期": "2026-11-25",
        "审批单号": "SP-T009",
        "原因": "客户申请",
        "退款金额": 50000,
    }
    outcome = ingest(
        site,
        "sales_control",
        {**CONTROL, "特殊事务": [cancel]},
        tmp_path / "control" / "销控.xlsx",
        "control",
    )
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    day = dt.date(2026, 11, 27)

    def control_tasks() -> list[tuple[str, str]]:
        with site.transaction() as session:
            return [
                (t.kind, t.subject)
                for t in tasks.tasks_for(session, "control", day).tasks
                if t.kind == "事务确认"
            ]

    assert control_tasks() == []  # finance has not done its part yet
    with pytest.raises(Exception, match="财务尚未处理"), site.transaction() as session:
        closing.confirm_complete(session, "T009", "control")
    money = {
        "收款": [*PAID[:1], receipt("P009", "S001", "退款", -50000, "2026-11-26 10:00")],
        "按揭": [],
        "事务处理": [{"事务编号": "T009", "处理日期": "2026-11-26", "处理说明": "已退款"}],
    }
    outcome = ingest(site, "finance", money, tmp_path / "finance" / "收款.xlsx", "finance")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    assert control_tasks() == [("事务确认", "T009")]
    with site.transaction() as session:
        closing.confirm_complete(session, "T009", "control")
    assert control_tasks() == []
