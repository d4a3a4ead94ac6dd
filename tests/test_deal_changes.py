"""Special transactions that keep the room's status (更名, 变更付款方案, 变更折扣), receipts corrected
and numbered per project, mortgages that only move forward, and move-in."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import MoveIn, Receipt, Subscription
from sync.app import Salesync
from sync.domain import accounts, ledger
from sync.pipeline.outcome import Verdict
from tests.conftest import PASSWORD
from tests.deals import (
    CASH_PLAN,
    R1,
    R2,
    VIP,
    add_staff,
    contract,
    errors,
    figures,
    ingest,
    receipt,
    refill,
    registered_customers,
    signed_project,
    statuses,
    subscription,
)
from tests.workbooks import phone

D = Decimal
S1 = subscription("S001", R1, "2026-10-10", 3441760, area=109.75, unit=31360)


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    return app


def special(no: str, kind: str, day: str, **fields: Any) -> dict[str, Any]:
    return {
        "事务编号": no,
        "事务类型": kind,
        "认购编号": "S001",
        "办理日期": day,
        "审批单号": f"SP-{no}",
        "原因": "客户申请",
        **fields,
    }


def test_rename_plan_and_discount_changes_keep_the_room(site: Salesync, tmp_path: Path) -> None:
    book = tmp_path / "control" / "销控.xlsx"
    rows: dict[str, list[dict[str, Any]]] = {
        "认购": [S1],
        "特殊事务": [
            special("T1", "更名", "2026-10-11", 新客户姓名="李娜", 新客户手机=phone(1)),
            special("T2", "变更付款方案", "2026-10-12", 新付款方案编码=CASH_PLAN),
            # 3,512,000 − 10,000 = 3,502,000; one too many yuan off is refused
            special("T3", "变更折扣", "2026-10-13", 新折扣编码=VIP, 新成交总价=3500000),
        ],
    }
    outcome = ingest(site, "sales_control", rows, book, "control")
    assert errors(outcome) == [("特殊事务", 4, "新成交总价", "deal-price")]
    rows["特殊事务"][2]["新成交总价"] = 3502000
    outcome = ingest(site, "sales_control", rows, book, "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    assert statuses(site, R1) == {R1: "认购"}
    with site.transaction() as session:
        sub = session.scalar(select(Subscription).where(Subscription.no == "S001"))
        assert sub is not None
        assert (sub.customer_name, sub.customer_phone, sub.plan_code, sub.discount_codes) == (
            "李娜",
            phone(1),
            CASH_PLAN,
            VIP,
        )
        assert (sub.total_price, sub.unit_price) == (D("3502000.00"), D("31908.88"))  # 3,502,000 / 109.75
        # 一次性付款: 定金 50,000 on the day; 楼款 100% less the 定金 = 3,452,000.00 on day 15
        assert [(i.category, i.due_date, i.amount) for i in ledger.schedule(session, sub)] == [
            ("定金", dt.date(2026, 10, 10), D("50000.00")),
            ("楼款", dt.date(2026, 10, 25), D("3452000.00")),
        ]


def test_a_corrected_receipt_keeps_its_first_version(site: Salesync, tmp_path: Path) -> None:
    assert (
        ingest(site, "sales_control", {"认购": [S1]}, tmp_path / "control" / "销控.xlsx", "control").verdict
        is Verdict.ACCEPTED
    )
    book = tmp_path / "finance" / "收款.xlsx"
    rows = {"收款": [receipt("R001", "S001", "定金", 5000, "2026-10-10 10:00")]}
    ingest(site, "finance", rows, book, "finance")
    rows["收款"][0]["金额"] = 50000
    assert ingest(site, "finance", rows, book, "finance").verdict is Verdict.ACCEPTED
    with site.transaction() as session:
        versions = session.scalars(
            select(Receipt).where(Receipt.no == "R001").order_by(Receipt.revision)
        ).all()
        assert [(r.revision, r.amount, r.deleted_reason) for r in versions] == [
            (1, D("5000.00"), "更正"),
            (2, D("50000.00"), None),
        ]
    assert figures(site, "S001", dt.date(2026, 10, 10))[2] == D("50000.00")

    # another cashier of the project may not reuse the number
    with site.transaction() as session:
        accounts.add_user(session, "finance2", name="孙艳", roles=["finance"], password=PASSWORD, region="SZ")
    other = {"收款": [receipt("R001", "S001", "首付款", 1000, "2026-10-11 10:00")]}
    outcome = ingest(site, "finance", other, tmp_path / "finance2" / "收款.xlsx", "finance2")
    assert errors(outcome) == [("收款", 2, "票据编号", "receipt-no-taken")]


def test_mortgage_status_only_moves_forward(site: Salesync, tmp_path: Path) -> None:
    assert (
        ingest(site, "sales_control", {"认购": [S1]}, tmp_path / "control" / "销控.xlsx", "control").verdict
        is Verdict.ACCEPTED
    )
    book = tmp_path / "finance" / "收款.xlsx"
    loan = {
        "认购编号": "S001",
        "按揭银行": "工商银行",
        "贷款类型": "商业",
        "贷款金额": 2409232,
        "贷款年限": 25,
        "办理状态": "已审批",
        "送件日期": "2026-10-15",
        "审批日期": "2026-10-25",
    }
    rows: dict[str, list[dict[str, Any]]] = {"按揭": [loan]}
    assert ingest(site, "finance", rows, book, "finance").verdict is Verdict.ACCEPTED
    loan["办理状态"] = "已送银行"
    assert errors(ingest(site, "finance", rows, book, "finance")) == [
        ("按揭", 2, "办理状态", "mortgage-backwards")
    ]
    loan["办理状态"] = "已放款"
    assert errors(ingest(site, "finance", rows, book, "finance")) == [
        ("按揭", 2, "放款日期", "mortgage-field-required"),
        ("按揭", 2, "放款金额", "mortgage-field-required"),
    ]
    loan.update({"放款日期": "2026-10-20", "放款金额": 2409232})
    assert errors(ingest(site, "finance", rows, book, "finance")) == [("按揭", 2, "放款日期", "date-order")]
    loan["放款日期"] = "2026-11-02"
    rows["收款"] = [receipt("R009", "S001", "按揭款", 2400000, "2026-11-02 10:00")]
    outcome = ingest(site, "finance", rows, book, "finance")
    assert outcome.verdict is Verdict.ACCEPTED
    mismatch = [f for f in outcome.findings if f.code == "mortgage-release-mismatch"]
    assert [(f.row, f.header) for f in mismatch] == [(2, "放款金额")]
    assert "2,400,000.00" in mismatch[0].message()


def test_move_in_needs_a_contract_and_warns_of_a_balance(site: Salesync, tmp_path: Path) -> None:
    rows: dict[str, list[dict[str, Any]]] = {"认购": [S1]}
    control = tmp_path / "control" / "销控.xlsx"
    assert ingest(site, "sales_control", rows, control, "control").verdict is Verdict.ACCEPTED
    service = tmp_path / "service" / "销售服务.xlsx"
    move = {"入伙": [{"房间编码": R1, "入伙日期": "2027-06-30", "办理人": "徐磊", "钥匙交付": "是"}]}
    assert errors(ingest(site, "service", move, service, "service")) == [
        ("入伙", 2, "房间编码", "movein-no-contract")
    ]
    rows["签约"] = [contract("C001", "S001", "2026-10-16", 3441760, area=109.75, unit=31360)]
    assert ingest(site, "sales_control", rows, control, "control").verdict is Verdict.ACCEPTED
    ingest(
        site,
        "finance",
        {"收款": [receipt("R001", "S001", "定金", 50000, "2026-10-10 10:00")]},
        tmp_path / "f.xlsx",
        "finance",
    )
    outcome = ingest(site, "service", move, service, "service")
    assert outcome.verdict is Verdict.ACCEPTED
    warned = [f for f in outcome.findings if f.code == "movein-balance"]
    assert len(warned) == 1 and "3,391,760.00" in warned[0].message()  # 3,441,760 − 50,000
    with site.transaction() as session:
        moved = session.scalar(select(MoveIn))
        assert moved is not None and moved.outstanding == D("3391760.00") and moved.keys_delivered


def test_a_stale_copy_of_the_receipts_neither_deletes_nor_undoes(site: Salesync, tmp_path: Path) -> None:
    outcome = ingest(site, "sales_control", {"认购": [S1]}, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED
    book = tmp_path / "finance" / "收款.xlsx"
    rows = {"收款": [receipt("R001", "S001", "定金", 50000, "2026-10-10 10:00")]}
    ingest(site, "finance", rows, book, "finance")
    stale = tmp_path / "stale.xlsx"
    shutil.copy(book, stale)  # the cashier keeps version 1 open in another window
    rows["收款"][0]["备注"] = "已开收据"
    rows["收款"].append(receipt("R002", "S001", "首付款", 982528, "2026-10-16 15:00"))
    assert ingest(site, "finance", rows, book, "finance").verdict is Verdict.ACCEPTED
    # version 1's copy, with one new receipt typed in, is saved over the workbook
    stale_rows = {
        "收款": [
            receipt("R001", "S001", "定金", 50000, "2026-10-10 10:00"),
            receipt("R003", "S001", "首付款", 1000, "2026-10-17 09:00"),
        ]
    }
    shutil.copy(refill("finance", stale_rows, stale), book)
    outcome = site.ingest(book, "finance")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    with site.transaction() as session:
        live = session.execute(
            select(Receipt.no, Receipt.note).where(Receipt.deleted_at.is_(None)).order_by(Receipt.no)
        ).all()
        assert [tuple(r) for r in live] == [("R001", "已开收据"), ("R002", None), ("R003", None)]


def test_a_later_version_writes_only_its_changed_rows_and_never_rewrites_terms(
    site: Salesync, tmp_path: Path
) -> None:
    book = tmp_path / "control" / "销控.xlsx"
    second = subscription("S002", R2, "2026-10-11", 3483973.50, area=110.75, unit=31458, customer=1)
    rows: dict[str, list[dict[str, Any]]] = {"认购": [dict(S1), second]}
    assert ingest(site, "sales_control", rows, book, "control").rows_written == 2
    rows["认购"][1]["备注"] = "客户要求尽快签约"
    again = ingest(site, "sales_control", rows, book, "control")
    assert (again.verdict, again.rows_written) == (Verdict.ACCEPTED, 1)
    rows["认购"][0]["成交总价"], rows["认购"][0]["成交单价"] = 3400000, 30979.50
    refused = ingest(site, "sales_control", rows, book, "control")
    assert errors(refused) == [("认购", 2, "认购编号", "deal-core-changed")]
    with site.transaction() as session:
        notes = dict(session.execute(select(Subscription.no, Subscription.note)).all())  # type: ignore[arg-type]
        totals = dict(session.execute(select(Subscription.no, Subscription.total_price)).all())  # type: ignore[arg-type]
    assert notes == {"S001": None, "S002": "客户要求尽快签约"}
    assert totals["S001"] == D("3441760.00")
