"""A generated project with a few thousand deals, set up through the real ingest (项目资料 signed into
effect, 客户登记, 销控), and 收款 / 销售服务 workbooks for it: receipts, 红冲, refunds, corrections,
deletions and rows the rules refuse, in a deterministic mix. For the tests that compare a set-based
plan with the row-by-row one, row for row, on two copies of the same database."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from schema.models import Room
from sync.app import Salesync
from sync.kinds.finance import RECEIPTS
from sync.kinds.sales_control import CONTRACTS, SPECIALS, SUBSCRIPTIONS
from sync.kinds.service import MOVE_INS, TRUE_UPS
from sync.tools.examples import _fill, _rec, phone_for, write_customers_workbook, write_project_master
from tests.conftest import PG_URL
from tests.deals import add_staff
from tests.signers import sign_off

PROJECT = "SZ-HW01"
PLAN = f"{PROJECT}-AJ"
START = dt.date(2026, 10, 1)


@dataclass(frozen=True)
class Deal:
    i: int
    no: str
    room: str
    day: dt.date
    area: Decimal
    inner: Decimal
    unit: Decimal
    total: Decimal

    @property
    def contracted(self) -> bool:
        return self.i % 2 == 0

    @property
    def contract_day(self) -> dt.date:
        return self.day + dt.timedelta(days=3)

    @property
    def cancelled(self) -> bool:
        """退房 in the second 销控 version (with 40,000 of refund approved)."""
        return self.i % 29 == 3 and not self.contracted

    @property
    def cancel_day(self) -> dt.date:
        return self.day + dt.timedelta(days=10)


def build_site(app: Salesync, folder: Path, rooms: int) -> list[Deal]:
    """A project of ``rooms`` rooms signed into effect, a customer for each room on sale, and a
    subscription of each such room (every other one contracted) — all through the real ingest."""
    add_staff(app)
    master = write_project_master(
        folder / "operator" / "项目资料.xlsx", rooms=rooms, project_code=PROJECT, seed=3
    )
    sign_off(app, app.ingest(master, "operator", write_back=False))
    with app.transaction() as session:
        on_sale = session.execute(
            select(Room.code, Room.area_gross, Room.area_inner, Room.unit_price, Room.total_price)
            .where(Room.project_code == PROJECT, Room.status == "可售")
            .order_by(Room.code)
        ).all()
    deals = [
        Deal(i, f"S{i:05d}", code, START + dt.timedelta(days=i % 40), area, inner, unit or Decimal(0), total)
        for i, (code, area, inner, unit, total) in enumerate(on_sale)
    ]
    customers = write_customers_workbook(
        folder / "rep_a" / "客户登记.xlsx", len(deals), seed=2, phone_style="plain"
    )
    outcome = app.ingest(customers, "rep_a", write_back=False)
    assert not outcome.errors, outcome.errors[:5]
    outcome = app.ingest(
        control_workbook(folder / "control" / "销控.xlsx", deals), "control", write_back=False
    )
    assert not outcome.errors, outcome.errors[:5]
    return deals


def control_workbook(path: Path, deals: list[Deal], *, cancellations: bool = False) -> Path:
    subs, contracts, specials = [], [], []
    for d in deals:
        subs.append(
            _rec(
                SUBSCRIPTIONS,
                no=d.no,
                room_code=d.room,
                customer_name=f"客户{d.i}",
                customer_phone=phone_for(d.i),
                rep="rep_a",
                date=d.day,
                plan_code=PLAN,
                area=float(d.area),
                unit_price=float(d.unit),
                total_price=float(d.total),
                deposit=50000,
                mortgage_ratio=0.7,
            )
        )
        if d.contracted:
            contracts.append(
                _rec(
                    CONTRACTS,
                    no=f"C{d.i:05d}",
                    subscription_no=d.no,
                    date=d.contract_day,
                    area=float(d.area),
                    unit_price=float(d.unit),
                    total_price=float(d.total),
                    bank="建设银行",
                )
            )
        if cancellations and d.cancelled:
            specials.append(
                _rec(
                    SPECIALS,
                    no=f"T{d.i:05d}",
                    kind="退房",
                    subscription_no=d.no,
                    date=d.cancel_day,
                    approval_no=f"SP{d.i:05d}",
                    reason="客户资金困难",
                    refund_amount=40000,
                )
            )
    rows = {SUBSCRIPTIONS.name: subs, CONTRACTS.name: contracts}
    if specials:
        rows[SPECIALS.name] = specials
    return _fill("sales_control", rows, path)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def receipt_rows(deals: list[Deal], *, second: bool = False) -> list[tuple[Any, ...]]:
    """The 收款 rows of the first version, or of the second (``second``: after the 退房, with 1% of
    the receipts corrected, some deleted, refunds and more refused rows)."""
    out: list[tuple[Any, ...]] = []

    def add(no: str, deal: str, category: str, amount: float, at: dt.datetime, **extra: Any) -> None:
        method = "银行放款" if category == "按揭款" else "转账"
        out.append(
            _rec(
                RECEIPTS,
                no=no,
                subscription_no=deal,
                category=category,
                amount=amount,
                payer="王伟",
                method=method,
                paid_at=at,
                **extra,
            )
        )

    for d in deals:
        i, n = d.i, f"R{d.i:05d}"
        down = float((d.total * Decimal("0.3")).quantize(Decimal(1))) - 50000
        note = "更正交款人" if second and i % 100 == 1 else None
        reversed_fully = i % 37 == 5
        keep_deposit = not (
            second and reversed_fully and i % 2 == 0
        )  # deleted although reversed: kept, warned
        if reversed_fully and second and i % 2 == 1:
            note = "更正已红冲的票据"  # refused: a reversed receipt cannot be corrected
        if keep_deposit:
            add(f"{n}A", d.no, "定金", 50000, _at(d.day), note=note)
        if d.contracted:
            add(f"{n}B", d.no, "首付款", down, _at(d.contract_day))
            if i % 4 == 0 and not (second and i % 89 == 4):  # deleted in the second version
                add(
                    f"{n}C",
                    d.no,
                    "按揭款",
                    float(d.total) - down - 50000,
                    _at(d.contract_day + dt.timedelta(days=20)),
                )
            if i % 20 == 0:
                add(f"{n}D", d.no, "楼款", 10000, _at(d.contract_day, 15))  # overpaid when fully paid
        if reversed_fully:
            fixed = "更正红冲备注" if second and i % 3 == 0 else None  # a 红冲 corrected
            add(f"{n}X", d.no, "定金", -50000, _at(d.day, 16), reverses_no=f"{n}A", note=fixed)
        if i % 37 == 6:
            add(f"{n}X", d.no, "定金", -60000, _at(d.day, 16), reverses_no=f"{n}A")  # exceeds
        if i % 41 == 7:
            add(f"{n}X", d.no, "定金", -1000, _at(d.day, 16), reverses_no="R99999Z")  # unknown original
        if i % 43 == 8:
            other = f"R{(i + 1):05d}A"
            add(f"{n}Y", d.no, "定金", -1000, _at(d.day, 17), reverses_no=other)  # another deal's
        if i % 47 == 9 and d.contracted:
            add(f"{n}Y", d.no, "定金", -1000, _at(d.day, 17), reverses_no=f"{n}B")  # another category
        if i % 53 == 10:
            add(f"{n}Z", d.no, "退款", -1000, _at(d.day, 18))  # more than the live deal owes back
        if i % 59 == 11:
            add(f"{n}Q", "S99999", "楼款", 1000, _at(d.day, 18))  # no such deal
        if i % 61 == 12:
            add(f"{n}T", d.no, "面积补差款", -500, _at(d.day, 18))  # no true-up to refund
        if i % 67 == 13:
            add(f"{n}X", d.no, "定金", -10000, _at(d.day, 16), reverses_no=f"{n}A")
            add(f"{n}W", d.no, "定金", -5000, _at(d.day, 17), reverses_no=f"{n}A")  # reversed twice
        if i % 71 == 14:
            add(f"{n}F", d.no, "代收费用", 1200, _at(d.day, 11))
        if second and d.cancelled:
            after = _at(d.cancel_day + dt.timedelta(days=1))
            way = (i // 29) % 3
            if way == 0:
                add(f"{n}R", d.no, "退款", -30000, after)
            elif way == 1:
                add(f"{n}R", d.no, "退款", -45000, after)  # beyond the approved refund
            else:
                add(f"{n}R", d.no, "退款", -30000, after)
                add(f"{n}S", d.no, "退款", -20000, after + dt.timedelta(hours=1))  # the two beyond it
            add(f"{n}L", d.no, "楼款", 1000, _at(d.cancel_day + dt.timedelta(days=5)))  # after the 退房
        if second and i % 50 == 0:
            add(f"{n}E", d.no, "楼款", 5000, _at(d.day + dt.timedelta(days=30)))
    return out


def finance_workbook(path: Path, deals: list[Deal], *, second: bool = False) -> Path:
    return _fill("finance", {RECEIPTS.name: receipt_rows(deals, second=second)}, path)


def service_workbook(path: Path, deals: list[Deal], *, second: bool = False) -> Path:
    """面积补差 for every contracted deal among the first ones (and some not contracted: refused),
    入伙 for some, interleaved in date order so a move-in sees its room's true-up."""
    true_ups, move_ins = [], []
    survey = dt.date(2026, 11, 10)
    for d in deals:
        i = d.i
        if i % 3 == 2:
            continue
        shift = Decimal(((i * 7919) % 900) - 450) / 100  # −4.50 … +4.49 m²
        if second and i % 10 == 0:
            shift += Decimal("0.5")
        inner = d.inner + shift
        gross = d.area + shift
        true_ups.append(
            _rec(
                TRUE_UPS,
                room_code=d.room,
                measured_gross=float(gross),
                measured_inner=float(inner),
                survey_date=survey + dt.timedelta(days=i % 5),
                report_no=f"CH{i:05d}",
            )
        )
        if i % 3 == 0:
            day = survey + dt.timedelta(days=(i % 7) - 1)
            if i % 9 == 0:
                day = d.day - dt.timedelta(days=1)  # before the deal: refused
            move_ins.append(_rec(MOVE_INS, room_code=d.room, date=day, handler="徐磊", keys_delivered="是"))
    if second:
        move_ins.append(_rec(MOVE_INS, room_code=f"{PROJECT}-9-9-9999", date=survey, handler="徐磊"))
    return _fill("service", {TRUE_UPS.name: true_ups, MOVE_INS.name: move_ins}, path)


def clone(app: Salesync, folder: Path) -> Callable[[], Salesync]:
    """Close ``app`` and return a maker of an independent copy of its database and data directory
    (SQLite: the file copied; PostgreSQL: a database made from it as a template)."""
    config = app.config
    app.close()
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "copy.db"
        source, copy = sqlite3.connect(url.database), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        new_url = f"sqlite:///{target}"
    else:
        assert PG_URL is not None
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
        admin.dispose()
        new_url = url.set(database=name).render_as_string(hide_password=False)
    data = folder / "data"
    shutil.copytree(config.data_dir, data)
    copy_config = replace(config, database_url=new_url, data_dir=data, drive_root=folder / "drive")

    def make() -> Salesync:
        return Salesync(copy_config)

    return make


def drop_clone(app: Salesync) -> None:
    """Close a copy made by :func:`clone` and drop its PostgreSQL database."""
    app.close()
    url = make_url(app.config.database_url)
    if url.get_backend_name() != "sqlite" and PG_URL is not None:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()
