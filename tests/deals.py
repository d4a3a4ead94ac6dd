"""Set-up for the deal tests: site staff, a signed project master, registered customers, and the
figures a report would show (read through the same code the reports use)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from schema.models import (
    AreaTrueUp,
    Collision,
    Contract,
    Mortgage,
    MortgageStatusChange,
    MoveIn,
    Receipt,
    Room,
    RoomControl,
    RoomStatusChange,
    SpecialTransaction,
    Subscription,
)
from sync.app import Salesync
from sync.domain import accounts, ledger, signing
from sync.pipeline.outcome import Outcome, Verdict
from tests.conftest import PASSWORD
from tests.signers import sign_off
from tests.workbooks import customer_rows, fill_template, master_rows, phone

PROJECT = "SZ-HW01"
R1, R2, R3 = f"{PROJECT}-1-0201", f"{PROJECT}-1-0301", f"{PROJECT}-1-0401"
PLAN, DISCOUNT = f"{PROJECT}-AJ", f"{PROJECT}-98"
CASH_PLAN, VIP = f"{PROJECT}-YC", f"{PROJECT}-VIP"
STAFF = [
    ("control", "周静", ["sales_control"]),
    ("finance", "吴娜", ["finance"]),
    ("service", "徐磊", ["sales_service"]),
]
DEAL_TABLES = (
    Room,
    RoomControl,
    RoomStatusChange,
    Subscription,
    Contract,
    SpecialTransaction,
    Receipt,
    Mortgage,
    MortgageStatusChange,
    AreaTrueUp,
    MoveIn,
    Collision,
)


def add_staff(app: Salesync) -> None:
    with app.transaction() as session:
        for username, name, roles in STAFF:
            accounts.add_user(session, username, name=name, roles=roles, password=PASSWORD, region="SZ")


def signed_project(app: Salesync, tmp_path: Path, **changes: Any) -> dict[str, list[dict[str, Any]]]:
    """The test project's master data, ingested by the operator and signed into effect."""
    rows = master_rows(PROJECT)
    for header, value in changes.items():
        rows["项目"][0][header] = value
    rows["付款方案"].append(
        {
            "方案编码": f"{PROJECT}-YC",
            "项目编码": PROJECT,
            "方案名称": "一次性付款",
            "付款方式": "一次性付款",
            "定金": 50000,
            "签约期限天数": 7,
            "有效起": "2026-09-01",
            "有效止": "2027-12-31",
        }
    )
    rows["付款方案明细"] += [
        {"方案编码": f"{PROJECT}-YC", "期次": 1, "款项类别": "定金", "金额": 50000, "应付天数": 0},
        {"方案编码": f"{PROJECT}-YC", "期次": 2, "款项类别": "楼款", "比例": 1, "应付天数": 15},
    ]
    rows["折扣"].append(
        {
            "折扣编码": f"{PROJECT}-VIP",
            "项目编码": PROJECT,
            "折扣名称": "老业主减免",
            "折扣类型": "减免金额",
            "折扣值": 10000,
            "可叠加": "是",
        }
    )
    if changes.get("计价方式") == "套内面积":  # list prices on the inner area
        for room in rows["房间"]:
            room["总价"] = round(room["单价"] * room["套内建筑面积"], 2)
    outcome = app.ingest(
        fill_template("project_master", rows, tmp_path / "master" / "项目资料.xlsx"), "operator"
    )
    sign_off(app, outcome)
    return rows


def registered_customers(app: Salesync, tmp_path: Path, count: int = 3, rep: str = "rep_a") -> list[str]:
    """``count`` customers registered by ``rep``; returns their phones."""
    rows = customer_rows(count, first_contact="2026-09-20")
    outcome = app.ingest(fill_template("customers", rows, tmp_path / rep / "客户登记.xlsx"), rep)
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    return [phone(i) for i in range(count)]


def subscription(
    no: str,
    room: str,
    day: str,
    total: float,
    *,
    area: float,
    unit: float,
    customer: int = 0,
    rep: str = "rep_a",
    discounts: str | None = DISCOUNT,
    plan: str = PLAN,
) -> dict[str, Any]:
    return {
        "认购编号": no,
        "房间编码": room,
        "客户姓名": "王伟",
        "客户手机": phone(customer),
        "置业顾问": rep,
        "认购日期": day,
        "付款方案编码": plan,
        "折扣编码": discounts,
        "成交面积": area,
        "成交单价": unit,
        "成交总价": total,
        "定金": 50000,
        "按揭成数": 0.7,
    }


def contract(no: str, sub: str, day: str, total: float, *, area: float, unit: float) -> dict[str, Any]:
    return {
        "合同编号": no,
        "认购编号": sub,
        "签约日期": day,
        "合同面积": area,
        "合同单价": unit,
        "合同总价": total,
        "按揭银行": "建设银行",
    }


def receipt(no: str, sub: str, category: str, amount: float, at: str, **extra: Any) -> dict[str, Any]:
    row = {
        "票据编号": no,
        "认购编号": sub,
        "款项类别": category,
        "金额": amount,
        "交款人": "王伟",
        "交款方式": "银行放款" if category == "按揭款" else "转账",
        "交款时间": at,
    }
    row.update(extra)
    return row


def refill(kind: str, rows: dict[str, list[dict[str, Any]]], path: Path) -> Path:
    """The clerk's workbook with its rows now ``rows``: the saved file (and its stamp) kept when it
    exists, the template otherwise."""
    if not path.exists():
        return fill_template(kind, rows, path)
    wb = load_workbook(path)
    for sheet_name, sheet_rows in rows.items():
        ws = wb[sheet_name]
        headers = [c.value for c in ws[1]]
        ws.delete_rows(2, max(ws.max_row, 2))
        for r, row in enumerate(sheet_rows, start=2):
            for header, value in row.items():
                ws.cell(row=r, column=headers.index(header) + 1, value=value)
    wb.save(path)
    return path


def ingest(app: Salesync, kind: str, rows: dict[str, list[dict[str, Any]]], path: Path, user: str) -> Outcome:
    """Save the clerk's workbook with ``rows`` and sync it as ``user``."""
    return app.ingest(refill(kind, rows, path), user)


def statuses(app: Salesync, *codes: str) -> dict[str, str]:
    with app.transaction() as session:
        return dict(session.execute(select(Room.code, Room.status).where(Room.code.in_(codes))).all())  # type: ignore[arg-type]


def figures(app: Salesync, no: str, today: dt.date) -> tuple[str, str, Decimal, Decimal]:
    """(deal status, room, received, outstanding) as the sales detail report shows them."""
    with app.transaction() as session:
        sub = session.scalar(select(Subscription).where(Subscription.no == no))
        assert sub is not None
        balance = ledger.balance(session, sub, today)
        return sub.status, sub.room_code, balance.received, balance.outstanding


def snapshot(app: Salesync) -> dict[str, Any]:
    """Row counts of every deal table and every room's status: what a row error must leave alone."""
    with app.transaction() as session:
        counts = {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in DEAL_TABLES}
        rooms = dict(session.execute(select(Room.code, Room.status)).all())  # type: ignore[arg-type]
        receipts = sorted(session.execute(select(Receipt.no, Receipt.deleted_at.is_(None))).all())
        return {"counts": counts, "rooms": rooms, "receipts": receipts}


def errors(outcome: Outcome) -> list[tuple[str | None, int | None, str | None, str]]:
    return sorted((f.sheet, f.row, f.header, f.code) for f in outcome.errors)


OTHER_PROJECT = "GZ-TH01"  # a project of another region


def other_region_project(app: Salesync, tmp_path: Path) -> str:
    """A project of region GZ, its master data submitted and signed by GZ's own people."""
    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
        for username, name, role in [
            ("gz_operator", "黄涛", "operator"),
            ("gz_senior", "林娟", "senior_manager"),
            ("gz_gm", "罗军", "region_gm"),
        ]:
            accounts.add_user(session, username, name=name, roles=[role], password=PASSWORD, region="GZ")
    rows = master_rows(OTHER_PROJECT)
    rows["项目"][0].update({"地区编码": "GZ", "项目名称": "天河公馆"})
    path = fill_template("project_master", rows, tmp_path / "gz" / "项目资料.xlsx")
    outcome = app.ingest(path, "gz_operator")
    assert outcome.change_set_id is not None, outcome.findings
    for signer in ("gz_senior", "gz_gm"):
        with app.transaction() as session:
            result = signing.sign(session, outcome.change_set_id, signer, PASSWORD)
    assert result.status == "已生效", result
    return OTHER_PROJECT


#: the two November deals most report and board tests start from: S001 on R1 (signed as C001), S002 on R2,
#: at prices as the sales office states them (九八折 on the list price)
NOVEMBER_DEALS = [
    subscription("S001", R1, "2026-11-03", 3441760, area=109.75, unit=31360, customer=1),
    subscription("S002", R2, "2026-11-04", 3483973.50, area=110.75, unit=31458, customer=2),
]


WITHDRAWN = f"{PROJECT}-2-0201"
#: room controls of the board tests: R3 held for a customer, one room withdrawn as the show flat
BOARD_CONTROLS = [
    {"房间编码": R3, "操作": "保留", "原因": "客户预留", "保留至": "2099-12-31", "操作日期": "2026-11-02"},
    {"房间编码": WITHDRAWN, "操作": "设为不可售", "原因": "样板间", "操作日期": "2026-11-02"},
]
#: the first three November receipts
NOVEMBER_RECEIPTS = [
    receipt("P001", "S001", "定金", 50000, "2026-11-03 10:00"),
    receipt("P002", "S002", "定金", 50000, "2026-11-04 11:00"),
    receipt("P003", "S001", "首付款", 982528, "2026-11-09 15:00"),
]


def sold_project(
    app: Salesync,
    tmp_path: Path,
    *,
    controls: list[dict[str, Any]] | None = None,
    receipts: list[dict[str, Any]] | None = None,
) -> Salesync:
    """The test project, signed, with its customers, the November deals, room ``controls`` and
    ``receipts`` (none: no finance workbook), each through its real workbook."""
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    control: dict[str, list[dict[str, Any]]] = {
        "房间控制": controls or [],
        "认购": NOVEMBER_DEALS,
        "签约": [contract("C001", "S001", "2026-11-12", 3441760, area=109.75, unit=31360)],
        "特殊事务": [],
    }
    outcome = ingest(app, "sales_control", control, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    if receipts is not None:
        money: dict[str, list[dict[str, Any]]] = {"收款": receipts, "按揭": [], "事务处理": []}
        outcome = ingest(app, "finance", money, tmp_path / "finance" / "收款.xlsx", "finance")
        assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    return app
