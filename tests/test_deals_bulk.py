"""The set-based 销控 plan against the row-by-row reference, on a generated project of a few thousand
rows: holds, subscriptions, contracts, special transactions, refused rows and late entries, then a
second version with edited, removed and new rows. Both databases must end up holding the same rows
and both ingests must report the same findings, row for row."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from schema.models import (
    Collision,
    Contract,
    DealDiscount,
    DealTermLine,
    Room,
    RoomControl,
    RoomStatusChange,
    SpecialTransaction,
    Subscription,
    WorkLogEntry,
)
from sync.app import Salesync
from sync.core.config import Config
from sync.domain import accounts, sealed_audit
from sync.kinds.sales_control import CONTRACTS, ROOM_CONTROLS, SPECIALS, SUBSCRIPTIONS
from sync.pipeline import kept_rows
from sync.pipeline.outcome import Outcome, Verdict
from sync.plans.context import PLANS
from sync.plans.deals import apply_sales_control_rowwise
from sync.tools.deal_examples import Master, read_master, sales_control_rows
from sync.tools.examples import Row, _fill, phone_for, write_customers_workbook, write_project_master
from tests.conftest import PASSWORD, PG_URL
from tests.sealed_logs import compare, sealed_keys
from tests.signers import sign_off

ROOMS = 2000
STAFF = [
    ("rep_a", "张丽", ["sales_rep"]),
    ("rep_b", "李强", ["sales_rep"]),
    ("operator", "王芳", ["operator"]),
    ("senior", "陈刚", ["senior_manager"]),
    ("control", "周静", ["sales_control"]),
]


@contextmanager
def _database(tmp: Path) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}"
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _project(tmp: Path, master: Path, customers: Path) -> Iterator[Salesync]:
    """A database with the staff, the signed project and its registered customers."""
    with _database(tmp) as url:
        app = Salesync(Config(database_url=url, data_dir=tmp / "data", drive_root=tmp / "drive"))
        app.init()
        try:
            with app.transaction() as session:
                accounts.add_region(session, "SZ", "深圳地区公司")
                for username, name, roles in STAFF:
                    accounts.add_user(
                        session, username, name=name, roles=roles, password=PASSWORD, region="SZ"
                    )
            sign_off(app, app.ingest(master, "operator"))
            assert app.ingest(customers, "rep_a").verdict is Verdict.ACCEPTED
            yield app
        finally:
            app.close()


@contextmanager
def _rowwise(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as patch:
        patch.setitem(PLANS._entries, "sales_control", apply_sales_control_rowwise)
        yield


def _set(sheet: Any, row: Row, **values: Any) -> Row:
    out = list(row)
    for name, value in values.items():
        out[sheet.fields.index(name)] = value
    return tuple(out)


def _get(sheet: Any, row: Row, name: str) -> Any:
    return row[sheet.fields.index(name)]


def _with_mistakes(master: Master, rows: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """Rows the plans must refuse (and a collision they must flag), appended to each sheet."""
    subs, contracts = rows[SUBSCRIPTIONS.name], rows[CONTRACTS.name]
    taken = [_get(SUBSCRIPTIONS, s, "room_code") for s in subs]
    pending = next(r for r in master.rooms if r.status == "待售")
    named = {r[0] for r in rows[ROOM_CONTROLS.name]} | {
        _get(SPECIALS, r, "new_room_code") for r in rows[SPECIALS.name]
    }
    free = next(r.code for r in master.rooms if r.status == "可售" and r.code not in set(taken) | named)
    late = dt.date(2026, 11, 28)
    rows[ROOM_CONTROLS.name] += [
        (taken[0], "设为不可售", "工程整改", None, late),  # the room is subscribed
        (f"{master.project}-9-9-9999", "保留", "客户意向", late, late),  # no such room
    ]
    first, second = subs[0], subs[1]
    spare = next(r for r in master.rooms if r.code == free)
    cheaper = (spare.total * Decimal("0.9")).quantize(Decimal("0.01"))
    rows[SUBSCRIPTIONS.name] += [
        _set(SUBSCRIPTIONS, second, no="RGX0000001", date=late),  # the room has its deal
        _set(
            SUBSCRIPTIONS, second, no="RGX0000002", room_code=free, customer_phone=phone_for(900_000)
        ),  # not registered
        _set(SUBSCRIPTIONS, second, no="RGX0000003", room_code=free, rep="nobody"),
        _set(SUBSCRIPTIONS, second, no="RGX0000004", room_code=pending.code),  # 待售
        _set(  # priced below the room's list price after its discounts
            SUBSCRIPTIONS,
            first,
            no="RGX0000005",
            room_code=spare.code,
            area=float(spare.area),
            total_price=float(cheaper),
            unit_price=float((cheaper / spare.area).quantize(Decimal("0.01"))),
            discount_codes=None,
        ),
    ]
    rows[SUBSCRIPTIONS.name][5] = _set(SUBSCRIPTIONS, subs[5], rep="rep_b")  # a customer of rep_a's: 撞单
    contract = contracts[0]
    rows[CONTRACTS.name] += [
        _set(CONTRACTS, contract, no="HTX0000001", subscription_no="RG9999999"),
        _set(CONTRACTS, contract, no="HTX0000002", date=late),  # already contracted
    ]
    specials = rows[SPECIALS.name]
    base: dict[str, Any] = {"date": late, "approval_no": "SP-X", "reason": "测试"}
    rows[SPECIALS.name] += [
        (
            "TSX000001",
            "换房",
            _get(SUBSCRIPTIONS, subs[3], "no"),
            *(base.values()),
            taken[4],
            None,
            None,
            None,
            None,
            1_000_000.0,
            None,
        ),
        ("TSX000002", "退房", _get(SUBSCRIPTIONS, subs[6], "no"), *(base.values()), *([None] * 6), 1000.0),
    ]
    cancelled = [s for s in specials if _get(SPECIALS, s, "kind") == "退房"]
    if cancelled:
        rows[SPECIALS.name].append(
            _set(
                SPECIALS,
                cancelled[0],
                no="TSX000003",
                kind="更名",
                new_customer_name="李四",
                new_customer_phone=phone_for(1),
                date=late,
            )
        )
    return rows


def _second_version(rows: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """The same workbook later: a few rows edited, three holds removed, one row refused now."""
    out = {name: list(sheet) for name, sheet in rows.items()}
    holds = [i for i, r in enumerate(out[ROOM_CONTROLS.name]) if _get(ROOM_CONTROLS, r, "action") == "保留"]
    for i in reversed(holds[:3]):
        del out[ROOM_CONTROLS.name][i]
    for i in range(0, len(out[SUBSCRIPTIONS.name]), 97):
        out[SUBSCRIPTIONS.name][i] = _set(SUBSCRIPTIONS, out[SUBSCRIPTIONS.name][i], note="二次核对")
    for i in range(0, len(out[CONTRACTS.name]), 61):
        out[CONTRACTS.name][i] = _set(CONTRACTS, out[CONTRACTS.name][i], bank="交通银行")
    contracted = {_get(CONTRACTS, c, "subscription_no") for c in out[CONTRACTS.name]}
    open_deal = next(r for r in out[SUBSCRIPTIONS.name] if _get(SUBSCRIPTIONS, r, "no") not in contracted)
    signed = _get(SUBSCRIPTIONS, open_deal, "date") - dt.timedelta(days=1)  # before the subscription
    out[CONTRACTS.name].append(
        _set(
            CONTRACTS,
            out[CONTRACTS.name][0],
            no="HTX0000003",
            subscription_no=_get(SUBSCRIPTIONS, open_deal, "no"),
            date=signed,
        )
    )
    sub = out[SUBSCRIPTIONS.name][10]  # a deal's core terms may not change
    out[SUBSCRIPTIONS.name][10] = _set(SUBSCRIPTIONS, sub, deposit=60_000)
    return out


SKIPPED = {"id", "at", "detected_at", "deleted_at", "owned_since", "owner_since", "hash", "prev_hash"}


def _tables(app: Salesync) -> dict[str, list[dict[str, Any]]]:
    """Every row the 销控 plan writes, ids replaced by the deal and transaction numbers they name."""
    out: dict[str, list[dict[str, Any]]] = {}
    with app.transaction() as session:
        subs = {i: no for i, no in session.execute(select(Subscription.id, Subscription.no))}
        specials = {i: no for i, no in session.execute(select(SpecialTransaction.id, SpecialTransaction.no))}
        for model in (
            Room,
            RoomControl,
            RoomStatusChange,
            Subscription,
            Contract,
            SpecialTransaction,
            DealTermLine,
            DealDiscount,
            Collision,
        ):
            table = model.__table__
            rows = []
            for r in session.execute(select(table).order_by(table.c.id)):
                values = {k: v for k, v in r._mapping.items() if k not in SKIPPED}
                for name, names in (
                    ("subscription_id", subs),
                    ("special_id", specials),
                    ("ended_by_id", specials),
                ):
                    if values.get(name) is not None:
                        values[name] = names[values[name]]
                rows.append(values)
            out[model.__tablename__] = rows
        entries = select(
            WorkLogEntry.entity,
            WorkLogEntry.key,
            WorkLogEntry.op,
            WorkLogEntry.changes,
            WorkLogEntry.version_id,
        )
        out["work_log"] = [
            _unfiled(dict(r._mapping)) for r in session.execute(entries.order_by(WorkLogEntry.seq))
        ]
        out["sealed"] = [dict(sealed_keys(session))]
        out["deep"] = [{"ok": sealed_audit.verify(session, kept_rows.applied_row).ok}]
    return out


def _unfiled(entry: dict[str, Any]) -> dict[str, Any]:
    """A sealed entry without its kept file's SHA-256: each home's copy of the customers workbook is
    its own file (the seal of the rows themselves is compared)."""
    if entry["op"] == "新增" and "file_sha256" in entry["changes"]:
        detail = json.loads(entry["changes"])
        detail.pop("file_sha256", None)
        entry["changes"] = json.dumps(detail, sort_keys=True)
    return entry


def _findings(outcome: Outcome) -> list[tuple[Any, ...]]:
    """The findings, but for when the customers were registered (each database did it at its time)."""
    return [
        (
            f.code,
            f.sheet,
            f.row,
            f.header,
            f.value,
            {k: v for k, v in f.params.items() if k != "since"},
            f.severity,
        )
        for f in outcome.findings
    ]


def test_set_based_plan_matches_row_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    master_path = write_project_master(tmp_path / "项目资料.xlsx", rooms=ROOMS, seed=3)
    master = read_master(master_path)
    first = _with_mistakes(master, sales_control_rows(master, seed=3))
    deals = len(first[SUBSCRIPTIONS.name])
    customers = write_customers_workbook(tmp_path / "客户登记.xlsx", deals, seed=3, phone_style="plain")
    later = _second_version(first)
    outcomes: dict[str, list[Outcome]] = {}
    tables: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for way in ("bulk", "rowwise"):
        home = tmp_path / way
        with _project(home, master_path, customers) as app:
            ingests = []
            for n, rows in enumerate((first, later)):
                path = _fill("sales_control", rows, home / "drive" / f"销控{n}.xlsx")
                target = home / "drive" / "销控.xlsx"
                target.write_bytes(path.read_bytes())
                if way == "rowwise":
                    with _rowwise(monkeypatch):
                        ingests.append(app.ingest(target, "control"))
                else:
                    ingests.append(app.ingest(target, "control"))
            outcomes[way] = ingests
            tables[way] = _tables(app)
    bulk, rowwise = outcomes["bulk"], outcomes["rowwise"]
    assert sum(len(rows) for rows in first.values()) > 2000
    for got, want in zip(bulk, rowwise, strict=True):
        assert got.verdict is want.verdict is Verdict.PARTIAL  # the refused rows are reported
        assert got.rows_written == want.rows_written
        assert _findings(got) == _findings(want)
    codes = {f.code for outcome in bulk for f in outcome.findings}
    assert {"room-status", "unknown-room", "room-has-deal", "deal-unknown-customer", "unknown-rep"} <= codes
    assert {"deal-price", "unknown-subscription", "subscription-contracted", "date-order"} <= codes
    assert {"refund-exceeds-received", "deal-not-live", "subscription-collision", "deal-late-entry"} <= codes
    assert "deal-core-changed" in {f.code for f in bulk[1].findings}
    assert bulk[1].rows_written < bulk[0].rows_written / 10
    # the new deal rows are sealed by digest: each stands for one of the reference's row entries
    assert tables["bulk"]["deep"] == [{"ok": True}]
    sealed = Counter(tables["bulk"]["sealed"][0])
    assert sealed and not tables["rowwise"]["sealed"][0]
    compare(tables["bulk"]["work_log"], tables["rowwise"]["work_log"], sealed, ignore=())
    for name, want_rows in tables["rowwise"].items():
        if name in ("work_log", "sealed", "deep"):
            continue
        got_rows = tables["bulk"][name]
        assert len(got_rows) == len(want_rows), name
        for got_row, want_row in zip(got_rows, want_rows, strict=True):
            assert got_row == want_row, name
