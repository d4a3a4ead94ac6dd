"""One room's whole life, scripted through the workbooks the site staff keep: hold → release →
subscribe → contract → receipts (one deleted, one reversed) → mortgage released → 换房 → 退房 with
refund. The figures a report shows are checked at every step against amounts worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import (
    Account,
    Mortgage,
    MortgageStatusChange,
    Receipt,
    Room,
    RoomControl,
    RoomStatusChange,
    SpecialTransaction,
    Subscription,
)
from sync.app import Salesync
from sync.domain import ledger, rooms
from sync.pipeline.outcome import Verdict
from tests.deals import (
    R1,
    R2,
    add_staff,
    contract,
    figures,
    ingest,
    receipt,
    registered_customers,
    signed_project,
    statuses,
    subscription,
)

D = Decimal
LATER = dt.date(2026, 12, 31)
# R1: 建筑面积 109.75 m² × 32,000 = 3,512,000.00; 九八折 3,441,760.00 (31,360.00/m²).
# R2: 建筑面积 110.75 m² × 32,100 = 3,555,075.00; 九八折 3,483,973.50.
PRICE_1, PRICE_2 = D("3441760.00"), D("3483973.50")
# Plan AJ on 3,441,760.00: 定金 50,000 (day 0); 首付 30% = 1,032,528.00 less 定金 = 982,528.00 (day 7);
# 按揭 70% = 2,409,232.00 (day 30).
MORTGAGE = D("2409232.00")


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    return app


def test_one_room_from_hold_to_refund(site: Salesync, tmp_path: Path) -> None:
    app = site
    control_book, finance_book = tmp_path / "control" / "销控.xlsx", tmp_path / "finance" / "收款.xlsx"
    sc: dict[str, list[dict[str, Any]]] = {"房间控制": [], "认购": [], "签约": [], "特殊事务": []}
    fin: dict[str, list[dict[str, Any]]] = {"收款": [], "按揭": [], "事务处理": []}

    def control() -> None:
        outcome = ingest(app, "sales_control", sc, control_book, "control")
        assert outcome.verdict is Verdict.ACCEPTED, outcome.errors

    def finance() -> None:
        outcome = ingest(app, "finance", fin, finance_book, "finance")
        assert outcome.verdict is Verdict.ACCEPTED, outcome.errors

    # hold, then release
    sc["房间控制"].append(
        {
            "房间编码": R1,
            "操作": "保留",
            "原因": "客户考虑中",
            "保留至": "2026-10-20",
            "操作日期": "2026-10-08",
        }
    )
    control()
    assert statuses(app, R1, R2) == {R1: "保留", R2: "可售"}
    sc["房间控制"].append(
        {"房间编码": R1, "操作": "取消保留", "原因": "客户放弃保留", "操作日期": "2026-10-09"}
    )
    control()
    assert statuses(app, R1) == {R1: "可售"}

    # subscribe, then contract
    sc["认购"].append(subscription("S001", R1, "2026-10-10", 3441760, area=109.75, unit=31360))
    control()
    assert statuses(app, R1) == {R1: "认购"}
    assert figures(app, "S001", LATER) == ("认购", R1, D("0.00"), PRICE_1)
    sc["签约"].append(contract("C001", "S001", "2026-10-16", 3441760, area=109.75, unit=31360))
    control()
    assert statuses(app, R1) == {R1: "签约"}

    # receipts: 定金, 首付款 and a mistaken one
    fin["收款"] += [
        receipt("R001", "S001", "定金", 50000, "2026-10-10 10:00"),
        receipt("R002", "S001", "首付款", 982528, "2026-10-16 15:00"),
        receipt("R003", "S001", "首付款", 5000, "2026-10-16 15:30"),
    ]
    finance()
    assert figures(app, "S001", LATER) == ("签约", R1, D("1037528.00"), D("2404232.00"))
    with app.transaction() as session:  # the schedule: what is due, paid and overdue per instalment
        sub = session.scalar(select(Subscription).where(Subscription.no == "S001"))
        assert sub is not None
        assert [(i.category, i.due_date, i.amount, i.paid) for i in ledger.schedule(session, sub)] == [
            ("定金", dt.date(2026, 10, 10), D("50000.00"), D("50000.00")),
            ("首付款", dt.date(2026, 10, 17), D("982528.00"), D("982528.00")),
            ("按揭款", dt.date(2026, 11, 9), MORTGAGE, D("5000.00")),
        ]
        assert ledger.balance(session, sub, dt.date(2026, 11, 9)).overdue == D("0.00")
        assert ledger.balance(session, sub, dt.date(2026, 11, 10)).overdue == D("2404232.00")

    # the mistaken one deleted; a 楼款 receipt entered and reversed by 红冲
    fin["收款"] = [r for r in fin["收款"] if r["票据编号"] != "R003"]
    fin["收款"] += [
        receipt("R004", "S001", "楼款", 20000, "2026-10-20 09:00"),
        receipt("R005", "S001", "楼款", -20000, "2026-10-21 09:00", 红冲票据编号="R004"),
    ]
    finance()
    assert figures(app, "S001", LATER) == ("签约", R1, D("1032528.00"), MORTGAGE)
    with app.transaction() as session:
        kept = session.scalars(select(Receipt).where(Receipt.no == "R003")).all()
        assert [(r.amount, r.deleted_reason) for r in kept] == [(D("5000.00"), "删除")]
        assert kept[0].deleted_in_version_id is not None

    # mortgage: sent to the bank, then released with its receipt
    loan = {
        "认购编号": "S001",
        "按揭银行": "建设银行",
        "贷款类型": "商业",
        "贷款金额": 2409232,
        "贷款年限": 30,
        "办理状态": "已送银行",
        "送件日期": "2026-10-20",
    }
    fin["按揭"] = [loan]
    finance()
    loan.update(
        {"办理状态": "已放款", "审批日期": "2026-10-28", "放款日期": "2026-11-09", "放款金额": 2409232}
    )
    fin["收款"].append(receipt("R006", "S001", "按揭款", 2409232, "2026-11-09 11:00"))
    outcome = ingest(app, "finance", fin, finance_book, "finance")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    assert "mortgage-release-mismatch" not in {f.code for f in outcome.findings}
    assert figures(app, "S001", LATER) == ("签约", R1, PRICE_1, D("0.00"))

    # 换房 to R2: the deal moves, R1 is free again, R2 owes the difference
    sc["特殊事务"].append(
        {
            "事务编号": "T001",
            "事务类型": "换房",
            "认购编号": "S001",
            "办理日期": "2026-11-12",
            "审批单号": "SP-2026-031",
            "原因": "客户要求换高一层",
            "新房间编码": R2,
            "新成交总价": 3483973.50,
        }
    )
    control()
    assert statuses(app, R1, R2) == {R1: "可售", R2: "签约"}
    assert figures(app, "S001", LATER) == ("签约", R2, PRICE_1, PRICE_2 - PRICE_1)
    assert D("42213.50") == PRICE_2 - PRICE_1

    # 退房 with the refund of everything received
    sc["特殊事务"].append(
        {
            "事务编号": "T002",
            "事务类型": "退房",
            "认购编号": "S001",
            "办理日期": "2026-11-20",
            "审批单号": "SP-2026-040",
            "原因": "客户资金问题",
            "退款金额": 3441760,
        }
    )
    control()
    assert statuses(app, R1, R2) == {R1: "可售", R2: "可售"}
    assert figures(app, "S001", LATER) == ("退房", R2, PRICE_1, D("0.00"))
    fin["收款"].append(receipt("R007", "S001", "退款", -3441760, "2026-11-25 10:00"))
    fin["事务处理"] = [
        {"事务编号": "T001", "处理日期": "2026-11-13", "处理说明": "房款转入新房"},
        {"事务编号": "T002", "处理日期": "2026-11-25", "处理说明": "已退款"},
    ]
    finance()
    assert figures(app, "S001", LATER) == ("退房", R2, D("0.00"), D("0.00"))
    with app.transaction() as session:  # the receipts register lists the deleted one as deleted
        register = ledger.receipt_register(session, "SZ-HW01")
        assert [(r.no, r.amount, r.state) for r in register] == [
            ("R001", D("50000.00"), "有效"),
            ("R002", D("982528.00"), "有效"),
            ("R003", D("5000.00"), "已删除"),
            ("R004", D("20000.00"), "已红冲"),
            ("R005", D("-20000.00"), "有效"),
            ("R006", D("2409232.00"), "有效"),
            ("R007", D("-3441760.00"), "有效"),
        ]
        assert len(ledger.receipt_register(session, "SZ-HW01", include_deleted=False)) == 6

    with app.transaction() as session:
        control_id = session.scalar(select(Account.id).where(Account.username == "control"))
        changes = session.scalars(select(RoomStatusChange).order_by(RoomStatusChange.id)).all()
        assert [(c.room_code, c.from_status, c.to_status, c.cause, c.ref) for c in changes] == [
            (R1, "可售", "保留", "保留", None),
            (R1, "保留", "可售", "取消保留", None),
            (R1, "可售", "认购", "认购", "S001"),
            (R1, "认购", "签约", "签约", "S001"),
            (R1, "签约", "可售", "换出", "T001"),
            (R2, "可售", "签约", "换入签约", "T001"),
            (R2, "签约", "可售", "退房", "T002"),
        ]
        assert {c.account_id for c in changes} == {control_id}
        assert all(c.version_id is not None and c.business_date is not None for c in changes)
        assert len({c.version_id for c in changes}) == 6  # one per accepted sales-control version
        txs = session.scalars(select(SpecialTransaction).order_by(SpecialTransaction.no)).all()
        assert [(t.no, t.old_room_code, t.old_total_price, t.finance_date) for t in txs] == [
            ("T001", R1, PRICE_1, dt.date(2026, 11, 13)),
            ("T002", R2, PRICE_2, dt.date(2026, 11, 25)),
        ]
        mortgage = session.scalar(select(Mortgage))
        assert mortgage is not None and mortgage.status == "已放款"
        moves = session.scalars(select(MortgageStatusChange).order_by(MortgageStatusChange.id)).all()
        assert [(m.from_status, m.to_status) for m in moves] == [(None, "已送银行"), ("已送银行", "已放款")]


def test_a_hold_expires_after_its_last_day(site: Salesync, tmp_path: Path) -> None:
    app = site
    rows: dict[str, list[dict[str, Any]]] = {
        "房间控制": [
            {
                "房间编码": R1,
                "操作": "保留",
                "原因": "领导预留",
                "保留至": "2026-10-12",
                "操作日期": "2026-10-08",
            }
        ],
        "认购": [subscription("S009", R1, "2026-10-12", 3441760, area=109.75, unit=31360, customer=1)],
    }
    outcome = ingest(app, "sales_control", rows, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors  # a held room may be subscribed
    hold = {"房间编码": R2, "操作": "保留", "原因": "预留", "保留至": "2026-10-12", "操作日期": "2026-10-08"}
    rows["房间控制"].append(hold)
    assert ingest(app, "sales_control", rows, tmp_path / "control" / "销控.xlsx", "control").errors == []
    with app.transaction() as session:  # shown as 可售 once its last day is over, before any row says so
        room = session.scalar(select(Room).where(Room.code == R2))
        assert room is not None and room.status == "保留"
        assert rooms.effective_status(session, room, dt.date(2026, 10, 12)) == "保留"
        assert rooms.effective_status(session, room, dt.date(2026, 10, 13)) == "可售"
    rows["房间控制"].pop()
    rows["房间控制"].append(
        {"房间编码": R2, "操作": "保留", "原因": "预留", "保留至": "2026-10-12", "操作日期": "2026-10-08"}
    )
    rows["认购"].append(
        subscription("S010", R2, "2026-10-13", 3483973.50, area=110.75, unit=31458.00, customer=2)
    )
    outcome = ingest(app, "sales_control", rows, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    with app.transaction() as session:
        causes = session.execute(
            select(RoomStatusChange.from_status, RoomStatusChange.to_status, RoomStatusChange.cause)
            .where(RoomStatusChange.room_code == R2)
            .order_by(RoomStatusChange.id)
        ).all()
        assert [tuple(c) for c in causes] == [
            ("可售", "保留", "保留"),
            ("保留", "可售", "保留到期"),
            ("可售", "认购", "认购"),
        ]


def test_deleting_a_hold_row_releases_the_room_and_keeps_the_row(site: Salesync, tmp_path: Path) -> None:
    app, book = site, tmp_path / "control" / "销控.xlsx"
    hold = {
        "房间编码": R1,
        "操作": "保留",
        "原因": "误操作",
        "保留至": "2026-10-20",
        "操作日期": "2026-10-08",
    }
    assert ingest(app, "sales_control", {"房间控制": [hold]}, book, "control").errors == []
    assert statuses(app, R1) == {R1: "保留"}
    assert ingest(app, "sales_control", {"房间控制": []}, book, "control").errors == []
    assert statuses(app, R1) == {R1: "可售"}
    with app.transaction() as session:
        kept = session.scalars(select(RoomControl)).all()
        assert [(c.action, c.deleted_at is not None, c.deleted_in_version_id is not None) for c in kept] == [
            ("保留", True, True)
        ]
        last = session.scalars(select(RoomStatusChange).order_by(RoomStatusChange.id.desc())).first()
        assert last is not None and (last.from_status, last.to_status, last.cause) == (
            "保留",
            "可售",
            "删除保留",
        )
