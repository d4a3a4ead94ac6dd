"""A region with many tasks, written in bulk (set inserts, no workbooks), for 我的任务's bench and tests.

Two projects — ``P1`` on the statutory calendar and ``P2`` whose sales office works every day but one
declared day off — with customers, their events and a few reassignments, live and ended deals on a
plan of 定金 (fixed), 首付款 and 按揭款 (ratios), receipts that leave some deals owing, some paid up and
a few overpaid, questionnaires for about half of the deals and true-ups for a few signed ones. Most of
it belongs to the rep ``rep_a``; the other reps make the region's share for the manager, controller,
finance and service accounts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import (
    Account,
    AreaTrueUp,
    Customer,
    CustomerEvent,
    DealTermLine,
    OfficeCalendar,
    PaymentPlan,
    PaymentPlanLine,
    Project,
    Questionnaire,
    Reassignment,
    Receipt,
    Region,
    Room,
    StoredFile,
    Subscription,
    Workbook,
    WorkbookVersion,
)
from sync.domain import accounts

ROLES = {
    "rep_a": ["sales_rep"],
    "rep_b": ["sales_rep"],
    "rep_c": ["sales_rep"],
    "manager": ["sales_manager"],
    "control": ["sales_control"],
    "finance": ["finance"],
    "service": ["sales_service"],
}
PLAN = (  # seq, category, ratio, fixed amount, due days
    (1, "定金", None, Decimal("50000.00"), 0),
    (2, "首付款", Decimal("0.300000"), None, 7),
    (3, "按揭款", Decimal("0.700000"), None, 30),
)


def build_region(
    session: Session,
    *,
    customers: int,
    deals: int,
    today: dt.date,
    share: float = 0.8,
    seed: int = 7,
    password: str = "bench-only-pass",
) -> dict[str, int]:
    """Write the region; returns the account ids by username. ``share``: rep_a's part of everything."""
    rnd = random.Random(seed)
    if session.scalar(select(Region.id).where(Region.code == "SZ")) is None:
        accounts.add_region(session, "SZ", "深圳地区公司")
    ids: dict[str, int] = {}
    for username, roles in ROLES.items():
        found = session.scalar(select(Account).where(Account.username == username))
        if found is None:
            found = accounts.add_user(
                session, username, name=username, roles=roles, password=password, region="SZ"
            )
        ids[username] = found.id
    session.flush()
    blob = b"bench region"
    sha = hashlib.sha256(blob).hexdigest()
    session.execute(insert(StoredFile), [{"sha256": sha, "size": len(blob), "content": blob}])
    wb = session.scalar(
        insert(Workbook)
        .values(uid="bench-region", kind="customers", account_id=ids["rep_a"], path="bench.xlsx")
        .returning(Workbook.id)
    )
    version = session.scalar(
        insert(WorkbookVersion)
        .values(
            workbook_id=wb, seq=1, sha256=sha, path="bench.xlsx", account_id=ids["rep_a"], outcome="accepted"
        )
        .returning(WorkbookVersion.id)
    )
    for code in ("P1", "P2"):
        session.execute(
            insert(Project).values(code=code, name=f"项目{code}", region_code="SZ", pricing_basis="建筑面积")
        )
        session.execute(
            insert(PaymentPlan).values(
                code=f"{code}-AJ",
                project_code=code,
                name="按揭",
                method="按揭",
                deposit=Decimal("50000"),
                sign_within_days=7,
            )
        )
        session.execute(
            insert(PaymentPlanLine),
            [
                {"plan_code": f"{code}-AJ", "seq": s, "category": c, "ratio": r, "amount": a, "due_days": d}
                for s, c, r, a, d in PLAN
            ],
        )
    session.execute(
        insert(OfficeCalendar).values(
            project_code="P2",
            days_off=(today - dt.timedelta(days=9)).isoformat(),
            declared_by_id=ids["rep_a"],
        )
    )
    reps = [ids["rep_a"], ids["rep_b"], ids["rep_c"]]

    def owner() -> int:
        return reps[0] if rnd.random() < share else rnd.choice(reps[1:])

    def moment(days_back: int) -> dt.datetime:
        day = today - dt.timedelta(days=days_back)
        return dt.datetime.combine(day, dt.time(9 + rnd.randrange(10), rnd.randrange(60)), tzinfo=SHANGHAI)

    people: list[dict[str, Any]] = []
    for i in range(customers):
        people.append(
            {
                "id": i + 1,
                "phone": f"139{i:08d}",
                "name": f"客户{i}",
                "source": "自然来访",
                "first_contact_date": today - dt.timedelta(days=90),
                "owner_id": owner(),
                "owned_since": moment(90),
                "first_version_id": version,
                "version_id": version,
            }
        )
    _put(session, Customer, people)
    events = []
    for person in people:
        times = {moment(rnd.randrange(60)) for _ in range(rnd.choice((0, 1, 1, 2, 3)))}
        for at in sorted(times):
            by = person["owner_id"] if rnd.random() < 0.9 else rnd.choice(reps)
            events.append(
                {
                    "customer_id": person["id"],
                    "account_id": by,
                    "kind": "来电",
                    "at": at,
                    "version_id": version,
                    "row_hash": f"{rnd.getrandbits(64):016x}",
                }
            )
    _put(session, CustomerEvent, events)
    moved = [
        {
            "customer_id": p["id"],
            "from_account_id": reps[1],
            "to_account_id": p["owner_id"],
            "by_account_id": ids["manager"],
            "reason": "休眠",
            "at": moment(rnd.randrange(40)),
        }
        for p in rnd.sample(people, max(1, customers // 50))
    ]
    _put(session, Reassignment, moved)
    rooms, subs, lines, receipts, done, true_ups = [], [], [], [], [], []
    for i in range(deals):
        project = "P1" if i % 4 else "P2"
        room = f"{project}-1-{i:05d}"
        price = (
            Decimal(1_000_000 + rnd.randrange(3_000_000)).quantize(Decimal("0.01"))
            + Decimal(rnd.randrange(100)) / 100
        )
        rooms.append(
            {
                "code": room,
                "project_code": project,
                "building_code": "1",
                "unit": "1",
                "floor": 1 + i // 100,
                "number": f"{i:05d}",
                "layout": "三房",
                "orientation": "南",
                "area_gross": Decimal("100.00"),
                "area_inner": Decimal("80.00"),
                "area_shared": Decimal("20.00"),
                "total_price": price,
                "initial_status": "可售",
                "status": "认购",
            }
        )
        person = people[i % customers]
        day = today - dt.timedelta(days=rnd.randrange(120))
        status = rnd.choice(("认购", "认购", "签约", "签约", "退房"))
        subs.append(
            {
                "id": i + 1,
                "no": f"S{i:06d}",
                "project_code": project,
                "room_code": room,
                "customer_id": person["id"],
                "customer_name": person["name"],
                "customer_phone": person["phone"],
                "rep_name": "rep",
                "rep_account_id": person["owner_id"],
                "date": day,
                "plan_code": f"{project}-AJ",
                "area": Decimal("100.00"),
                "unit_price": (price / 100).quantize(Decimal("0.01")),
                "total_price": price,
                "deposit": Decimal("50000.00"),
                "sign_due_date": day + dt.timedelta(days=7),
                "status": status,
                "version_id": version,
            }
        )
        for seq, category, ratio, amount, due_days in PLAN:
            lines.append(
                {
                    "subscription_id": i + 1,
                    "plan_code": f"{project}-AJ",
                    "seq": seq,
                    "category": category,
                    "ratio": ratio,
                    "amount": amount,
                    "due_days": due_days,
                }
            )
        paid = rnd.choice(("none", "deposit", "deposit", "first", "all", "over"))
        amounts = {
            "none": [],
            "deposit": [Decimal("50000.00")],
            "first": [Decimal("50000.00"), (price * Decimal("0.3")).quantize(Decimal("0.01"))],
            "all": [price],
            "over": [price + Decimal("1234.50")],
        }[paid]
        for n, amount in enumerate(amounts):
            receipts.append(
                {
                    "project_code": project,
                    "no": f"R{i:06d}-{n}",
                    "subscription_id": i + 1,
                    "category": "定金" if n == 0 and amount == Decimal("50000.00") else "房款",
                    "amount": amount,
                    "payer": person["name"],
                    "method": "转账",
                    "paid_at": dt.datetime.combine(day, dt.time(15), tzinfo=SHANGHAI),
                    "version_id": version,
                }
            )
        if rnd.random() < 0.5:
            done.append(
                {
                    "subscription_no": f"S{i:06d}",
                    "customer_id": person["id"],
                    "account_id": person["owner_id"],
                    "filled_date": day + dt.timedelta(days=1),
                    "version_id": version,
                    "row_hash": f"q{i:031d}",
                }
            )
        if status == "签约" and rnd.random() < 0.1:
            true_ups.append(
                {
                    "room_code": room,
                    "measured_gross": Decimal("101.00"),
                    "measured_inner": Decimal("81.00"),
                    "survey_date": today - dt.timedelta(days=rnd.randrange(20)),
                    "amount": Decimal(rnd.choice((-1, 1)) * rnd.randrange(1000, 30000)),
                    "version_id": version,
                }
            )
    _put(session, Room, rooms)
    _put(session, Subscription, subs)
    _put(session, DealTermLine, lines)
    if receipts:
        _put(session, Receipt, receipts)
    if done:
        _put(session, Questionnaire, done)
    if true_ups:
        _put(session, AreaTrueUp, true_ups)
    _fix_sequences(session)
    return ids


def _put(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, giving every required column they leave out a neutral value (a row hash, a
    count): the tasks read none of those."""
    needed = [
        c
        for c in model.__table__.columns
        if not c.nullable and not c.primary_key and c.default is None and c.server_default is None
    ]
    for row in rows:
        for column in needed:
            if column.name not in row:
                row[column.name] = 0 if column.type.python_type is int else f"{rnd_hash(row)}"[:32]
    session.execute(insert(model), rows)


def rnd_hash(row: dict[str, Any]) -> str:
    return hashlib.md5(repr(sorted(row.items(), key=lambda kv: kv[0])).encode()).hexdigest()


def _fix_sequences(session: Session) -> None:
    """On PostgreSQL, move the id sequences past the ids written here."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("customer", "subscription"):
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )
