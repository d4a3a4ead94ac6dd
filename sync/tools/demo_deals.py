"""The demo's deals and money, dated relative to the day the demo is made.

Once the demo project's initial load is signed, its rooms exist and deals may name them: 徐凯 (sales
control) writes a 销控 workbook — a room held and one withdrawn, subscriptions over the last weeks on
张丽's customers, contracts a week after them — and 黄丽 (finance) a 收款 workbook with each deal's
deposit, the down payments of the signed ones and their mortgages. Everything is dated in the weeks
before today, so the reports, the 楼盘表 and 我的任务 show a live project whatever day it is.
Prices are the rooms' list prices (no discount) so every deal passes the price rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Account, Customer, Project, Room
from sync.domain.pricing import basis_area
from sync.kinds.finance import MORTGAGES, RECEIPTS
from sync.kinds.sales_control import CONTRACTS, ROOM_CONTROLS, SPECIALS, SUBSCRIPTIONS
from sync.tools.examples import Row, _fill, _rec

DEALS = 24  # subscriptions, one every two days or so over the last seven weeks
DEPOSIT = Decimal(50_000)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30))


def write_deal_workbooks(
    session: Session, home: Path, project_code: str, rep: str, today: dt.date
) -> list[tuple[Path, str]]:
    """The 销控 and 收款 workbooks of the demo project (written once); (file, account) to ingest."""
    control_path = home / "xukai" / "销控.xlsx"
    money_path = home / "huangli" / "收款.xlsx"
    plan = [(control_path, "xukai"), (money_path, "huangli")]
    if control_path.exists() and money_path.exists():
        return plan
    project = session.scalar(select(Project).where(Project.code == project_code))
    if project is None:
        return []
    rooms = list(
        session.scalars(
            select(Room).where(Room.project_code == project_code, Room.status == "可售").order_by(Room.code)
        )
    )
    owner = session.scalar(select(Account).where(Account.username == rep))
    customers = list(
        session.scalars(
            select(Customer).where(Customer.owner_id == owner.id).order_by(Customer.id).limit(DEALS)
        )
        if owner is not None
        else []
    )
    if len(rooms) < DEALS + 3 or len(customers) < DEALS:
        return []
    held, withdrawn, sold = rooms[0], rooms[1], rooms[2 : 2 + DEALS]
    controls: list[Row] = [
        _rec(
            ROOM_CONTROLS,
            room_code=held.code,
            action="保留",
            reason="客户预留，待认购",
            hold_until=today + dt.timedelta(days=10),
            op_date=today - dt.timedelta(days=3),
        ),
        _rec(
            ROOM_CONTROLS,
            room_code=withdrawn.code,
            action="设为不可售",
            reason="样板间",
            op_date=today - dt.timedelta(days=40),
        ),
    ]
    subscriptions: list[Row] = []
    contracts: list[Row] = []
    receipts: list[Row] = []
    mortgages: list[Row] = []
    plan_code = f"{project_code}-AJ"
    for n, (room, customer) in enumerate(zip(sold, customers, strict=True)):
        day = today - dt.timedelta(days=49 - 2 * n)  # the last one a day or two ago
        no = f"RG{day:%Y%m%d}{n:02d}"
        area = basis_area(project, room) or room.area_gross
        total = room.total_price
        loan = (total * Decimal("0.7")).quantize(Decimal("0.01"))
        subscriptions.append(
            _rec(
                SUBSCRIPTIONS,
                no=no,
                room_code=room.code,
                customer_name=customer.name,
                customer_phone=customer.phone,
                rep=rep,
                date=day,
                plan_code=plan_code,
                area=float(area),
                unit_price=float(room.unit_price or (total / area).quantize(Decimal("0.01"))),
                total_price=float(total),
                deposit=float(DEPOSIT),
                mortgage_ratio=float(Decimal("0.7")),
            )
        )
        receipts.append(
            _rec(
                RECEIPTS,
                no=f"SK{day:%Y%m%d}{n:02d}1",
                subscription_no=no,
                category="定金",
                amount=float(DEPOSIT),
                payer=customer.name,
                method="刷卡",
                paid_at=_at(day, 11),
            )
        )
        signed = day + dt.timedelta(days=7)
        if signed >= today:  # the recent deals are still waiting for their contract
            continue
        contracts.append(
            _rec(
                CONTRACTS,
                no=f"HT{signed:%Y%m%d}{n:02d}",
                subscription_no=no,
                date=signed,
                area=float(area),
                unit_price=float(room.unit_price or (total / area).quantize(Decimal("0.01"))),
                total_price=float(total),
                bank="建设银行",
                mortgage_amount=float(loan),
            )
        )
        receipts.append(
            _rec(
                RECEIPTS,
                no=f"SK{signed:%Y%m%d}{n:02d}2",
                subscription_no=no,
                category="首付款",
                amount=float(total - loan - DEPOSIT),
                payer=customer.name,
                method="转账",
                paid_at=_at(signed, 15),
            )
        )
        mortgages.append(
            _rec(
                MORTGAGES,
                subscription_no=no,
                bank="建设银行",
                loan_type="商业",
                amount=float(loan),
                years=30,
                status="已送银行" if n % 2 else "资料收集",
                submitted_date=signed + dt.timedelta(days=2) if n % 2 else None,
            )
        )
    # two special transactions for the 退房 and 换房 reports: the first deal withdrawn, the second
    # moved to another room at that room's list price
    first, second, spare = subscriptions[0][0], subscriptions[1][0], rooms[2 + DEALS]
    specials: list[Row] = [
        _rec(
            SPECIALS,
            no=f"SW{today:%Y%m%d}01",
            kind="退房",
            subscription_no=first,
            date=today - dt.timedelta(days=5),
            approval_no="SP-001",
            reason="客户资金周转困难",  # the refund follows once finance has the deposit on record
        ),
        _rec(
            SPECIALS,
            no=f"SW{today:%Y%m%d}02",
            kind="换房",
            subscription_no=second,
            date=today - dt.timedelta(days=4),
            approval_no="SP-002",
            reason="客户希望更高楼层",
            new_room_code=spare.code,
            new_total_price=float(spare.total_price),
        ),
    ]
    _fill(
        "sales_control",
        {
            ROOM_CONTROLS.name: controls,
            SUBSCRIPTIONS.name: subscriptions,
            CONTRACTS.name: contracts,
            SPECIALS.name: specials,
        },
        control_path,
    )
    _fill("finance", {RECEIPTS.name: receipts, MORTGAGES.name: mortgages}, money_path)
    return plan
