"""A sold project of any size, inserted straight into the database: the reports' benchmark and test data.

Reports read what the deal kinds wrote; going through workbooks to make 100k deals would take the
ingest's time (minutes) before the first report is timed. This writes the same rows in bulk with
``INSERT … VALUES`` batches (SQLAlchemy's executemany): one project with its buildings, rooms, a
payment plan and its lines, reps, customers with visits and calls, deals (认购, about half signed),
receipts (some reversed by 红冲, some deleted later), mortgages with their status history, 退房 and
换房, room status changes and surveys with a 面积补差. Values come from a seeded ``random.Random``:
the same arguments give the same rows. Every row points at one synthetic workbook version, as a
version of the operator's workbook would.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import (
    Account,
    AccountRole,
    AreaTrueUp,
    Building,
    Contract,
    Customer,
    CustomerEvent,
    DealTermLine,
    Mortgage,
    MortgageStatusChange,
    PaymentPlan,
    PaymentPlanLine,
    Project,
    Receipt,
    Region,
    Room,
    RoomStatusChange,
    SpecialTransaction,
    StoredFile,
    Subscription,
    WorkbookVersion,
)

FIRST_DAY = dt.date(2025, 1, 1)
DAYS = 700  # deals spread over this many days from FIRST_DAY
ROOMS_PER_BUILDING = 1000
PER_FLOOR = 20
BATCH = 5000
SOURCES = ("自然来访", "网络推广", "老带新", "中介渠道", "户外广告")


def _batched(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), list(rows[start : start + BATCH]))


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), SHANGHAI)


def insert_sold_project(
    session: Session,
    code: str,
    deals: int,
    *,
    region: str = "SZ",
    rooms: int | None = None,
    reps: int = 12,
    seed: int = 1,
) -> Project:
    """Insert project ``code`` of region ``region`` (made if missing) with ``rooms`` rooms (by default
    10% more than the deals) and ``deals`` deals; the last day with data is FIRST_DAY + DAYS."""
    rnd = random.Random(seed)
    rooms = rooms if rooms is not None else deals + deals // 10 + 1
    if session.scalar(select(Region.id).where(Region.code == region)) is None:
        session.add(Region(code=region, name=f"{region}地区"))
    region_id = session.scalar(select(Region.id).where(Region.code == region))
    sha = f"{seed:064d}"
    if session.get(StoredFile, sha) is None:
        session.add(StoredFile(sha256=sha, size=0, content=b""))
    owner = Account(
        username=f"op_{code.lower()}", display_name="运营", password_hash="!", region_id=region_id
    )
    session.add(owner)
    session.flush()
    version = WorkbookVersion(sha256=sha, path=f"{code}.xlsx", account_id=owner.id, outcome="accepted")
    session.add(version)
    session.flush()
    vid = version.id
    project = Project(
        code=code, name=f"{code}项目", region_code=region, pricing_basis="建筑面积", version_id=vid
    )
    session.add(project)
    session.flush()
    plan = f"{code}-FQ"
    session.add(
        PaymentPlan(
            code=plan, project_code=code, name="分期付款", method="分期", deposit=Decimal(50000),
            sign_within_days=30, version_id=vid,
        )
    )  # fmt: skip
    session.flush()
    for seq, (category, ratio, days) in enumerate((("首付款", "0.3", 7), ("楼款", "0.7", 90)), start=1):
        session.add(
            PaymentPlanLine(
                plan_code=plan,
                seq=seq,
                category=category,
                ratio=Decimal(ratio),
                due_days=days,
                version_id=vid,
            )
        )
    rep_ids = []
    for i in range(reps):
        account = Account(
            username=f"{code.lower()}_rep{i:02d}",
            display_name=f"顾问{i:02d}",
            password_hash="!",
            region_id=region_id,
        )
        session.add(account)
        session.flush()
        session.add(AccountRole(account_id=account.id, role="sales_rep", project_code=code))
        rep_ids.append(account.id)
    session.flush()

    buildings = (rooms + ROOMS_PER_BUILDING - 1) // ROOMS_PER_BUILDING
    _batched(
        session,
        Building,
        [
            {
                "project_code": code, "compound": "一期", "code": f"{code}-B{b + 1:02d}", "name": f"{b + 1}栋",
                "floors": ROOMS_PER_BUILDING // PER_FLOOR, "units": PER_FLOOR // 4, "version_id": vid,
            }
            for b in range(buildings)
        ],
    )  # fmt: skip
    room_rows: list[dict[str, Any]] = []
    for i in range(rooms):
        b, k = divmod(i, ROOMS_PER_BUILDING)
        floor, pos = divmod(k, PER_FLOOR)
        area = _money(rnd.uniform(60, 160))
        unit_price = _money(rnd.uniform(15000, 30000))
        room_rows.append(
            {
                "code": f"{code}-B{b + 1:02d}-{i:06d}", "project_code": code, "building_code": f"{code}-B{b + 1:02d}",
                "unit": str(pos // 4 + 1), "floor": floor + 1, "number": f"{floor + 1:02d}{pos % 4 + 1:02d}",
                "layout": rnd.choice(("两房", "三房", "四房")), "orientation": "南", "area_gross": area,
                "area_inner": _money(float(area) * 0.8), "area_shared": _money(float(area) * 0.2),
                "unit_price": unit_price, "total_price": _money(float(area) * float(unit_price)),
                "initial_status": "可售", "status": "可售", "version_id": vid,
            }
        )  # fmt: skip
    _batched(session, Room, room_rows)

    customers = max(deals // 2, 1)
    customer_rows: list[dict[str, Any]] = []
    for i in range(customers):
        first = FIRST_DAY + dt.timedelta(days=rnd.randrange(DAYS))
        customer_rows.append(
            {
                "phone": f"1{3 + seed % 6}{sum(map(ord, code)) % 100:02d}{i:07d}", "name": f"客户{i:06d}",
                "source": rnd.choice(SOURCES), "first_contact_date": first, "intended_project": code,
                "owner_id": rep_ids[i % reps], "owned_since": _at(first, 10), "first_version_id": vid,
                "version_id": vid, "row_hash": f"{i:032d}",
            }
        )  # fmt: skip
    _batched(session, Customer, customer_rows)
    customer_ids = list(
        session.scalars(select(Customer.id).where(Customer.intended_project == code).order_by(Customer.id))
    )
    events: list[dict[str, Any]] = []
    for n, (cid, c) in enumerate(zip(customer_ids, customer_rows, strict=True)):
        met: dt.date = c["first_contact_date"]
        events.append({"customer_id": cid, "account_id": c["owner_id"], "kind": rnd.choice(("首次来访", "首次来电")),
                       "at": _at(met, 10), "version_id": vid, "row_hash": f"{n:031d}a", "content": "了解户型"})  # fmt: skip
        later = met + dt.timedelta(days=rnd.randrange(1, 30))
        events.append({"customer_id": cid, "account_id": c["owner_id"], "kind": rnd.choice(("来访", "来电", "回访")),
                       "at": _at(later, 15), "version_id": vid, "row_hash": f"{n:031d}b", "content": "回访"})  # fmt: skip
    _batched(session, CustomerEvent, events)

    sold = rnd.sample(range(rooms), deals)
    subs: list[dict[str, Any]] = []
    for n, r in enumerate(sold):
        room = room_rows[r]
        made = FIRST_DAY + dt.timedelta(days=rnd.randrange(DAYS))
        rep = n % reps
        subs.append(
            {
                "no": f"{code}-S{n:06d}", "project_code": code, "room_code": room["code"],
                "customer_id": customer_ids[n % customers], "customer_name": customer_rows[n % customers]["name"],
                "customer_phone": customer_rows[n % customers]["phone"], "rep_name": f"顾问{rep:02d}",
                "rep_account_id": rep_ids[rep], "date": made, "plan_code": plan, "discount_codes": None,
                "area": room["area_gross"], "unit_price": room["unit_price"], "total_price": room["total_price"],
                "deposit": Decimal(50000), "mortgage_ratio": Decimal("0.7"), "status": "认购", "version_id": vid,
            }
        )  # fmt: skip
    _batched(session, Subscription, subs)
    ids = {
        no: sid
        for no, sid in session.execute(
            select(Subscription.no, Subscription.id).where(Subscription.project_code == code)
        )
    }
    contracts: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    mortgages: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    specials: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    surveys: list[dict[str, Any]] = []
    last = FIRST_DAY + dt.timedelta(days=DAYS)
    for n, s in enumerate(subs):
        sid = ids[s["no"]]
        day: dt.date = s["date"]
        total: Decimal = s["total_price"]
        for seq, (category, ratio, days) in enumerate((("首付款", "0.3", 7), ("楼款", "0.7", 90)), start=1):
            lines.append({"subscription_id": sid, "plan_code": plan, "seq": seq, "category": category,
                          "ratio": Decimal(ratio), "due_days": days, "amount": None})  # fmt: skip
        status = "认购"
        signed = rnd.random() < 0.5
        if signed:
            cday = min(day + dt.timedelta(days=rnd.randrange(1, 30)), last)
            contracts.append({"no": f"{code}-C{n:06d}", "subscription_id": sid, "date": cday, "area": s["area"],
                              "unit_price": s["unit_price"], "total_price": total, "version_id": vid})  # fmt: skip
            changes.append({"room_code": s["room_code"], "from_status": "认购", "to_status": "签约",
                            "at": _at(cday, 12), "business_date": cday, "ref": s["no"], "version_id": vid})  # fmt: skip
            status = "签约"
            if rnd.random() < 0.6:
                m_status = rnd.choice(("已提交", "已审批", "已放款"))
                mortgages.append({"subscription_id": sid, "bank": rnd.choice(("工商银行", "建设银行", "招商银行")),
                                  "loan_type": "商贷", "amount": _money(float(total) * 0.7), "years": 30,
                                  "status": m_status, "submitted_date": cday,
                                  "approved_date": cday + dt.timedelta(days=20) if m_status != "已提交" else None,
                                  "released_date": cday + dt.timedelta(days=40) if m_status == "已放款" else None,
                                  "released_amount": _money(float(total) * 0.7) if m_status == "已放款" else None,
                                  "version_id": vid})  # fmt: skip
            if rnd.random() < 0.05:
                sday = min(cday + dt.timedelta(days=rnd.randrange(1, 60)), last)
                surveys.append({"room_code": s["room_code"], "survey_date": sday, "basis": "建筑面积",
                                "measured_gross": s["area"] + Decimal("0.50"), "measured_inner": s["area"],
                                "contract_area": s["area"], "measured_area": s["area"] + Decimal("0.50"),
                                "error_ratio": Decimal("0.005"), "unit_price": s["unit_price"],
                                "amount": _money(float(s["unit_price"]) * 0.5), "buyer_pays": _money(float(s["unit_price"]) * 0.5),
                                "developer_bears": Decimal(0), "refund": Decimal(0), "double_refund": Decimal(0),
                                "version_id": vid})  # fmt: skip
        changes.append({"room_code": s["room_code"], "from_status": "可售", "to_status": "认购",
                        "at": _at(day, 11), "business_date": day, "ref": s["no"], "version_id": vid})  # fmt: skip
        paid = [("定金", Decimal(50000), day)]
        if rnd.random() < 0.8:
            paid.append(("首付款", _money(float(total) * 0.3 - 50000), min(day + dt.timedelta(days=7), last)))
        if signed and rnd.random() < 0.5:
            paid.append(("楼款", _money(float(total) * 0.1), min(day + dt.timedelta(days=60), last)))
        for k, (category, amount, when) in enumerate(paid):
            deleted = rnd.random() < 0.01
            receipts.append({"project_code": code, "no": f"{code}-P{n:06d}{k}", "subscription_id": sid,
                             "category": category, "amount": amount, "payer": s["customer_name"],
                             "method": rnd.choice(("转账", "刷卡", "现金")), "paid_at": _at(when, 10 + k),
                             "version_id": vid, "deleted_reason": "删除" if deleted else None,
                             "deleted_at": _at(min(when + dt.timedelta(days=3), last), 9) if deleted else None})  # fmt: skip
        roll = rnd.random()
        if status == "认购" and roll < 0.04:
            tday = min(day + dt.timedelta(days=rnd.randrange(1, 40)), last)
            specials.append({"no": f"{code}-T{n:06d}", "kind": "退房", "subscription_id": sid, "date": tday,
                             "approval_no": f"A{n:06d}", "reason": "客户原因", "refund_amount": Decimal(50000),
                             "old_room_code": s["room_code"], "old_status": "认购",
                             "old_customer_name": s["customer_name"], "old_total_price": total, "version_id": vid})  # fmt: skip
            changes.append({"room_code": s["room_code"], "from_status": "认购", "to_status": "可售",
                            "at": _at(tday, 16), "business_date": tday, "ref": f"{code}-T{n:06d}", "version_id": vid})  # fmt: skip
        elif status == "认购" and roll < 0.06:
            tday = min(day + dt.timedelta(days=rnd.randrange(1, 40)), last)
            new_total = total + Decimal(10000)
            specials.append({"no": f"{code}-T{n:06d}", "kind": "换房", "subscription_id": sid, "date": tday,
                             "approval_no": f"A{n:06d}", "reason": "换大户型", "new_room_code": s["room_code"],
                             "new_total_price": new_total, "old_room_code": s["room_code"], "old_status": "认购",
                             "old_total_price": total, "old_area": s["area"], "version_id": vid})  # fmt: skip
    _batched(session, DealTermLine, lines)
    _batched(session, Contract, contracts)
    _batched(session, Receipt, receipts)
    _batched(session, Mortgage, mortgages)
    _batched(session, RoomStatusChange, changes)
    _batched(session, SpecialTransaction, specials)
    _batched(session, AreaTrueUp, surveys)
    _finish(session, code, specials, contracts, vid)
    session.flush()
    return project


def _finish(
    session: Session,
    code: str,
    specials: Iterable[dict[str, Any]],
    contracts: Iterable[dict[str, Any]],
    vid: int,
) -> None:
    """The current state the history ends in: deals' and rooms' statuses, mortgages' status history."""
    from sqlalchemy import update

    signed = [c["subscription_id"] for c in contracts]
    ended = [s["subscription_id"] for s in specials if s["kind"] == "退房"]
    for start in range(0, len(signed), BATCH):
        session.execute(
            update(Subscription)
            .where(Subscription.id.in_(signed[start : start + BATCH]))
            .values(status="签约")
        )
    for start in range(0, len(ended), BATCH):
        session.execute(
            update(Subscription)
            .where(Subscription.id.in_(ended[start : start + BATCH]))
            .values(status="退房")
        )
    live = select(Subscription.room_code).where(
        Subscription.project_code == code, Subscription.status != "退房"
    )
    session.execute(
        update(Room).where(Room.code.in_(live.where(Subscription.status == "认购"))).values(status="认购")
    )
    session.execute(
        update(Room).where(Room.code.in_(live.where(Subscription.status == "签约"))).values(status="签约")
    )
    rows = [
        {"mortgage_id": mid, "to_status": status, "at": _at(day or FIRST_DAY, 14)}
        for mid, status, day in session.execute(
            select(Mortgage.id, Mortgage.status, Mortgage.submitted_date)
            .join(Subscription, Subscription.id == Mortgage.subscription_id)
            .where(Subscription.project_code == code)
        )
    ]
    _batched(session, MortgageStatusChange, rows)
