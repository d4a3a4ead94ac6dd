"""Deterministic, realistic 销控 and 收款 workbooks for a generated project: the benchmark's deal files.

The rooms come from a 项目资料 written by :func:`sync.tools.examples.write_project_master` (read back
from the file, so the prices and areas are exactly the ones the database will hold once it is signed).
The customers are ``phone_for(first_phone + i)``, as :func:`sync.tools.examples.write_customers_workbook`
registers them: the i-th subscription is the i-th customer's.

What a site's 销控 holds over a season: holds on some rooms (released, expired, or followed by the
room's subscription), subscriptions on about three rooms in four of those on sale, contracts on about
half of them, a few special transactions (cancellations, renamings, plan changes, room changes). Every
row is one the state machine accepts, in date order; ``edited`` rows (evenly spread) have a free field
changed (a subscription's 备注, a contract's 按揭银行, a hold's 原因), so a re-save writes exactly those.
The same arguments give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sync.kinds.finance import MORTGAGES, RECEIPTS
from sync.kinds.project_master import DISCOUNTS, PLANS, PROJECTS, ROOMS
from sync.kinds.sales_control import CONTRACTS, ROOM_CONTROLS, SPECIALS, SUBSCRIPTIONS
from sync.tools.examples import Cell, Row, _fill, _rec, phone_for

SEASON_START = dt.date(2026, 9, 7)  # the day after the generated project's opening
SEASON_DAYS = 80
BANKS = ("建设银行", "工商银行", "招商银行", "中国银行", "农业银行")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class MasterRoom:
    code: str
    status: str
    area: Decimal  # the pricing area (建筑面积 for the generated project)
    total: Decimal


@dataclass(frozen=True)
class Master:
    """What the deal workbooks need to know of a 项目资料: its rooms, plans and discounts."""

    project: str
    basis: str
    rooms: list[MasterRoom]
    plans: list[str]
    discounts: dict[str, tuple[str, Decimal, bool]]  # code → (kind, value, stackable)


def read_master(path: Path) -> Master:
    """The rooms, plans and discounts of a 项目资料 workbook (fastexcel: 100k rooms in about a second)."""
    import fastexcel

    reader = fastexcel.read_excel(path)

    def sheet(spec: Any) -> list[dict[str, Any]]:
        frame = reader.load_sheet(spec.name).to_pandas()
        names = {c.header: c.field for c in spec.columns}
        frame = frame.rename(columns=names)
        return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]

    project = sheet(PROJECTS)[0]
    basis = str(project["pricing_basis"])
    rooms = []
    for r in sheet(ROOMS):
        area = r["area_inner"] if basis == "套内面积" else r["area_gross"]
        rooms.append(
            MasterRoom(
                str(r["code"]),
                str(r["initial_status"]),
                Decimal(f"{float(area):.2f}"),
                Decimal(f"{float(r['total_price']):.2f}"),
            )
        )
    discounts = {
        str(d["code"]): (str(d["kind"]), Decimal(str(d["value"])), d["stackable"] == "是")
        for d in sheet(DISCOUNTS)
    }
    return Master(str(project["code"]), basis, rooms, [str(p["code"]) for p in sheet(PLANS)], discounts)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _price(master: Master, room: MasterRoom, codes: list[str]) -> Decimal:
    """The room's list price after the discounts, as the plan computes it."""
    price = room.total
    for code in codes:
        kind, value, _ = master.discounts[code]
        price = price * value if kind == "比例" else price - value
    return _cents(price)


def _unit(total: Decimal, area: Decimal) -> float:
    return float(_cents(total / area))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


@dataclass
class Deal:
    no: str
    room: MasterRoom
    day: dt.date
    total: Decimal
    codes: list[str]
    phone: str
    plan: str = ""
    contract: str | None = None
    contract_day: dt.date | None = None
    cancelled: dt.date | None = None


def _plan_deals(master: Master, rng: random.Random, first_phone: int) -> tuple[list[Deal], list[MasterRoom]]:
    """Which rooms are subscribed (about 75% of those on sale), on which day, at which price."""
    saleable = [r for r in master.rooms if r.status == "可售"]
    chosen = [r for r in saleable if rng.random() < 0.75]
    ratio = [c for c, (kind, _, _) in master.discounts.items() if kind == "比例"]
    other = [c for c, (kind, _, stack) in master.discounts.items() if kind != "比例" and stack]
    deals = []
    for i, room in enumerate(chosen):
        roll = rng.random()
        codes = ratio[:1] if roll < 0.5 and ratio else other[:1] if roll < 0.6 and other else []
        day = SEASON_START + dt.timedelta(days=rng.randrange(SEASON_DAYS))
        deals.append(
            Deal(f"RG{i + 1:07d}", room, day, _price(master, room, codes), codes, phone_for(first_phone + i))
        )
    free = [r for r in saleable if r not in set(chosen)]
    return deals, free


def sales_control_rows(
    master: Master, *, seed: int = 0, first_phone: int = 0, rep: str = "rep_a", edited: int = 0
) -> dict[str, list[Row]]:
    """The 销控 rows by sheet name (see the module docstring)."""
    rng = random.Random(f"deals:{seed}")
    deals, free = _plan_deals(master, rng, first_phone)
    plans = master.plans
    controls: list[Row] = []
    subs: list[Row] = []
    contracts: list[Row] = []
    specials: list[Row] = []
    held = set()
    for deal in deals:  # a hold a few days before one subscription in six, released by the subscription
        if rng.random() < 1 / 6:
            start = deal.day - dt.timedelta(days=rng.randrange(1, 4))
            until = deal.day + dt.timedelta(days=rng.randrange(0, 5))
            controls.append(
                _rec(
                    ROOM_CONTROLS,
                    room_code=deal.room.code,
                    action="保留",
                    reason="客户意向，保留待认购",
                    hold_until=until,
                    op_date=start,
                )
            )
            held.add(deal.room.code)
    spare = list(free)
    rng.shuffle(spare)
    swap_rooms = spare[: max(1, len(spare) // 20)]  # rooms kept free for 换房
    for room in spare[len(swap_rooms) :]:  # holds on free rooms: released, expired or left running
        roll = rng.random()
        if roll < 0.15:
            start = SEASON_START + dt.timedelta(days=rng.randrange(SEASON_DAYS - 10))
            until = start + dt.timedelta(days=rng.randrange(1, 6))
            controls.append(
                _rec(
                    ROOM_CONTROLS,
                    room_code=room.code,
                    action="保留",
                    reason="领导指示保留",
                    hold_until=until,
                    op_date=start,
                )
            )
            if roll < 0.07:
                controls.append(
                    _rec(
                        ROOM_CONTROLS,
                        room_code=room.code,
                        action="取消保留",
                        reason="客户放弃",
                        op_date=start + dt.timedelta(days=1),
                    )
                )
        elif roll < 0.18:
            controls.append(
                _rec(
                    ROOM_CONTROLS,
                    room_code=room.code,
                    action="设为不可售",
                    reason="工程整改",
                    op_date=SEASON_START + dt.timedelta(days=rng.randrange(SEASON_DAYS)),
                )
            )
    for room in master.rooms:  # some 待售 rooms put on sale
        if room.status == "待售" and rng.random() < 0.1:
            controls.append(
                _rec(
                    ROOM_CONTROLS,
                    room_code=room.code,
                    action="恢复可售",
                    reason="二批推盘",
                    op_date=SEASON_START,
                )
            )
    n_contract = 0
    for deal in deals:
        area = deal.room.area
        deal.plan = rng.choice(plans)
        subs.append(
            _rec(
                SUBSCRIPTIONS,
                no=deal.no,
                room_code=deal.room.code,
                customer_name=_name(rng),
                customer_phone=deal.phone,
                rep=rep,
                date=deal.day,
                plan_code=deal.plan,
                discount_codes=",".join(deal.codes) or None,
                area=float(area),
                unit_price=_unit(deal.total, area),
                total_price=float(deal.total),
                deposit=50_000,
                mortgage_ratio=0.7 if rng.random() < 0.6 else None,
                note="关注学位" if rng.random() < 0.2 else None,
            )
        )
        if rng.random() < 0.5:
            n_contract += 1
            deal.contract, deal.contract_day = (
                f"HT{n_contract:07d}",
                deal.day + dt.timedelta(days=rng.randrange(1, 8)),
            )
            contracts.append(
                _rec(
                    CONTRACTS,
                    no=deal.contract,
                    subscription_no=deal.no,
                    date=deal.contract_day,
                    area=float(area),
                    unit_price=_unit(deal.total, area),
                    total_price=float(deal.total),
                    bank=rng.choice(BANKS) if rng.random() < 0.7 else None,
                    filed_date=deal.contract_day + dt.timedelta(days=3) if rng.random() < 0.5 else None,
                )
            )
    n_special = 0
    for deal in deals:  # about 2% of the deals have one special transaction, a week or more later
        if rng.random() >= 0.02:
            continue
        n_special += 1
        day = (deal.contract_day or deal.day) + dt.timedelta(days=rng.randrange(7, 20))
        common: dict[str, Cell] = {
            "no": f"TS{n_special:06d}",
            "subscription_no": deal.no,
            "date": day,
            "approval_no": f"SP{n_special:06d}",
            "reason": "客户申请",
        }
        roll = rng.random()
        if roll < 0.3 and deal.contract is None:
            specials.append(_rec(SPECIALS, kind="退房", **common))
            deal.cancelled = day
        elif roll < 0.55:
            specials.append(
                _rec(
                    SPECIALS,
                    kind="更名",
                    new_customer_name=_name(rng),
                    new_customer_phone=deal.phone,
                    **common,
                )
            )
        elif roll < 0.75 and len(plans) > 1:
            new_plan = next(p for p in plans if p != deal.plan)
            specials.append(_rec(SPECIALS, kind="变更付款方案", new_plan_code=new_plan, **common))
        elif swap_rooms:
            new = swap_rooms.pop()
            specials.append(
                _rec(
                    SPECIALS,
                    kind="换房",
                    new_room_code=new.code,
                    new_total_price=float(_price(master, new, deal.codes)),
                    **common,
                )
            )
        else:
            specials.append(
                _rec(
                    SPECIALS,
                    kind="更名",
                    new_customer_name=_name(rng),
                    new_customer_phone=deal.phone,
                    **common,
                )
            )
    rows = {
        ROOM_CONTROLS.name: controls,
        SUBSCRIPTIONS.name: subs,
        CONTRACTS.name: contracts,
        SPECIALS.name: specials,
    }
    if edited:
        _edit(rows, edited)
    return rows


def _edit(rows: dict[str, list[Row]], edited: int) -> None:
    """Change a free field of ``edited`` rows, evenly spread over all the rows."""
    places = [
        (name, i)
        for name in (SUBSCRIPTIONS.name, CONTRACTS.name, ROOM_CONTROLS.name)
        for i in range(len(rows[name]))
    ]
    field = {
        SUBSCRIPTIONS.name: ("note", SUBSCRIPTIONS),
        CONTRACTS.name: ("bank", CONTRACTS),
        ROOM_CONTROLS.name: ("reason", ROOM_CONTROLS),
    }
    for k in range(min(edited, len(places))):
        name, i = places[k * len(places) // edited]
        column, sheet = field[name]
        at = sheet.fields.index(column)
        row = list(rows[name][i])
        row[at] = f"{row[at] or ''}（已核对）"
        rows[name][i] = tuple(row)


def write_sales_control_workbook(
    path: Path,
    master: Path | Master,
    *,
    seed: int = 0,
    first_phone: int = 0,
    rep: str = "rep_a",
    edited: int = 0,
) -> Path:
    """A site's 销控 for the project of ``master`` (a 项目资料 file or what :func:`read_master` read).

    ``first_phone`` is the first registered customer's index; ``edited`` rows have a free field changed.
    """
    info = master if isinstance(master, Master) else read_master(master)
    return _fill(
        "sales_control",
        sales_control_rows(info, seed=seed, first_phone=first_phone, rep=rep, edited=edited),
        path,
    )


def write_receipts_workbook(
    path: Path, master: Path | Master, *, seed: int = 0, first_phone: int = 0, edited: int = 0
) -> Path:
    """The site's 收款 matching :func:`write_sales_control_workbook` with the same arguments: a 定金 on
    each subscription day, the 首付款 on each contract day, some mortgages in progress.

    ``edited`` receipts (evenly spread) have their 备注 changed.
    """
    info = master if isinstance(master, Master) else read_master(master)
    rng = random.Random(f"deals:{seed}")
    deals, _ = _plan_deals(info, rng, first_phone)
    sc = sales_control_rows(info, seed=seed, first_phone=first_phone)
    contracted = {
        row[CONTRACTS.fields.index("subscription_no")]: row[CONTRACTS.fields.index("date")]
        for row in sc[CONTRACTS.name]
    }
    cancelled = {
        row[SPECIALS.fields.index("subscription_no")]
        for row in sc[SPECIALS.name]
        if row[SPECIALS.fields.index("kind")] == "退房"
    }
    money = random.Random(f"receipts:{seed}")
    receipts: list[Row] = []
    mortgages: list[Row] = []
    n = 0
    for deal in deals:
        n += 1
        at = dt.datetime.combine(deal.day, dt.time(money.randrange(9, 18), money.randrange(60)))
        receipts.append(
            _rec(
                RECEIPTS,
                no=f"SJ{n:08d}",
                subscription_no=deal.no,
                category="定金",
                amount=50_000,
                payer=_name(money),
                method=money.choice(("刷卡", "转账")),
                paid_at=at,
            )
        )
        day = contracted.get(deal.no)
        if day is None or deal.no in cancelled:
            continue
        assert isinstance(day, dt.date)
        n += 1
        down = _cents(deal.total * Decimal("0.3")) - 50_000
        at = dt.datetime.combine(day, dt.time(money.randrange(9, 18), money.randrange(60)))
        receipts.append(
            _rec(
                RECEIPTS,
                no=f"SJ{n:08d}",
                subscription_no=deal.no,
                category="首付款",
                amount=float(down),
                payer=_name(money),
                method="转账",
                paid_at=at,
            )
        )
        if money.random() < 0.4:
            mortgages.append(
                _rec(
                    MORTGAGES,
                    subscription_no=deal.no,
                    bank=money.choice(BANKS),
                    loan_type="商业",
                    amount=float(_cents(deal.total * Decimal("0.7"))),
                    years=30,
                    status="已送银行",
                    submitted_date=day + dt.timedelta(days=5),
                )
            )
    if edited:
        note = RECEIPTS.fields.index("note")
        for k in range(min(edited, len(receipts))):
            i = k * len(receipts) // edited
            row = list(receipts[i])
            row[note] = "已开收据"
            receipts[i] = tuple(row)
    return _fill("finance", {RECEIPTS.name: receipts, MORTGAGES.name: mortgages}, path)
