"""Portal benchmark: a region at real volume, 20 signed-in users at once over the heaviest pages.

Setup (not timed): a fresh database (SQLite, or a new database on ``--db``'s PostgreSQL server);
the project's 项目资料 with ``--rooms`` rooms synced and signed; one rep's 客户登记 of ``--customers``
customers synced through the real pipeline (its own bulk path); then ``--deals`` subscriptions on
those rooms and customers and ``--receipts`` receipts on them inserted in bulk (``BulkInsert``: one
``COPY`` on PostgreSQL, multi-row ``INSERT`` on SQLite), with their rooms marked 已认购.

Measured: the portal served by waitress in this process on 127.0.0.1 (8 threads), ``--users``
threads each signed in as its own sales manager's account with its own
``requests`` session, each requesting every page in turn ``--rounds`` times. Per page: the median
and p95 of the wall time of a whole response (server and client on the same 2 cores, so the
figures include the clients' own work). Target: p95 ≤ 300 ms per page.

    .venv/bin/python bench/portal.py                       # 100k customers, 5k deals, 50k receipts, 20 users
    .venv/bin/python bench/portal.py --quick               # small sizes, one round
    .venv/bin/python bench/portal.py --db postgresql+psycopg://user@host/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from sqlalchemy import func, select, update

from bench.common import fresh_database, salesync_app

try:  # the shared result line (bench/README.md, "One run for every bench"), where it exists
    from bench.common import db_kind, emit_result  # type: ignore[attr-defined]
except ImportError:  # the same line, printed here

    def db_kind(url: str | None) -> str:
        if not url or url.startswith("sqlite"):
            return "sqlite"
        return "postgresql" if url.startswith("postgres") else url.split(":", 1)[0].split("+", 1)[0]

    def emit_result(bench: str, measure: str, value: float, **kw: Any) -> dict[str, Any]:
        target, compare = kw.get("target"), kw.get("compare", "<=")
        verdict = "INFO" if target is None else ("PASS" if value <= target else "MISS")
        result = {
            "bench": bench,
            "measure": measure,
            "db": kw.get("db", "-"),
            "size": kw.get("size"),
            "value": round(float(value), 4),
            "unit": kw.get("unit", "×"),
            "target": target,
            "compare": compare,
            "verdict": verdict,
        }
        print("BENCH " + json.dumps(result, ensure_ascii=False), flush=True)
        return result


PASSWORD = "bench-only-password-2026"
PROJECT = "SZ-HW01"
TARGET_MS = 300.0


def setup(app: Any, tmp: Path, customers: int, rooms: int, deals: int, receipts: int, users: int) -> None:
    from schema.models import Customer, Receipt, Room, Subscription, WorkbookVersion
    from sync.core.rows import BulkInsert
    from sync.domain import accounts, signing
    from sync.tools.examples import write_customers_workbook, write_project_master

    with app.transaction() as session:
        for username, role in (("operator", "operator"), ("senior", "senior_manager"), ("gm", "region_gm")):
            accounts.add_user(session, username, name=username, roles=[role], password=PASSWORD, region="SZ")
        for i in range(users):
            role = "sales_manager"  # the role that opens every page measured here
            accounts.add_user(
                session, f"user{i:02d}", name=f"用户{i:02d}", roles=[role], password=PASSWORD, region="SZ"
            )
    master = write_project_master(tmp / "项目资料.xlsx", rooms=rooms, buildings=max(4, rooms // 250))
    outcome = app.ingest(master, "operator", write_back=False)
    assert outcome.change_set_id is not None, outcome.errors[:3]
    for signer in ("senior", "gm"):
        with app.transaction() as session:
            signing.sign(session, outcome.change_set_id, signer, PASSWORD)
    today = dt.date.today()
    book = write_customers_workbook(tmp / "客户登记.xlsx", customers, seed=1, today=today)
    outcome = app.ingest(book, "rep_a", write_back=False)
    with app.transaction() as session:
        version = session.scalar(select(func.max(WorkbookVersion.id)))
        sold = session.execute(
            select(Room.code, Room.area_gross, Room.total_price)
            .where(Room.project_code == PROJECT, Room.status == "可售")
            .order_by(Room.code)
            .limit(deals)
        ).all()
        people = session.execute(
            select(Customer.name, Customer.phone).order_by(Customer.id).limit(len(sold))
        ).all()
        n = min(len(sold), len(people))
        start = today - dt.timedelta(days=n // 20 + 1)
        subs = BulkInsert(
            session,
            Subscription.__table__,
            [
                "no",
                "project_code",
                "room_code",
                "customer_name",
                "customer_phone",
                "rep_name",
                "date",
                "plan_code",
                "area",
                "unit_price",
                "total_price",
                "deposit",
                "status",
                "owner_conflict",
                "version_id",
            ],
        )
        subs.execute(
            {
                "no": [f"RG{i:07d}" for i in range(n)],
                "project_code": [PROJECT] * n,
                "room_code": [r.code for r in sold[:n]],
                "customer_name": [p.name for p in people[:n]],
                "customer_phone": [p.phone for p in people[:n]],
                "rep_name": ["张丽"] * n,
                "date": [start + dt.timedelta(days=i // 20) for i in range(n)],
                "plan_code": [f"{PROJECT}-AJ"] * n,
                "area": [r.area_gross for r in sold[:n]],
                "unit_price": [(r.total_price / r.area_gross).quantize(Decimal("0.01")) for r in sold[:n]],
                "total_price": [r.total_price for r in sold[:n]],
                "deposit": [Decimal(50_000)] * n,
                "status": ["认购"] * n,
                "owner_conflict": [False] * n,
                "version_id": [version] * n,
            }
        )
        session.execute(update(Room).where(Room.code.in_([r.code for r in sold[:n]])).values(status="已认购"))
        ids = session.scalars(select(Subscription.id).order_by(Subscription.id)).all()
        money = BulkInsert(
            session,
            Receipt.__table__,
            [
                "project_code",
                "no",
                "revision",
                "subscription_id",
                "category",
                "amount",
                "payer",
                "method",
                "paid_at",
                "version_id",
            ],
        )
        for begin in range(0, receipts, 10_000):
            size = min(10_000, receipts - begin)
            numbers = range(begin, begin + size)
            money.execute(
                {
                    "project_code": [PROJECT] * size,
                    "no": [f"SK{k:08d}" for k in numbers],
                    "revision": [1] * size,
                    "subscription_id": [ids[k % len(ids)] for k in numbers],
                    "category": ["定金" if k < len(ids) else "首付款" for k in numbers],
                    "amount": [Decimal(50_000) if k < len(ids) else Decimal(10_000) for k in numbers],
                    "payer": ["客户"] * size,
                    "method": ["转账"] * size,
                    "paid_at": [
                        dt.datetime.combine(start, dt.time(10), tzinfo=dt.UTC)
                        + dt.timedelta(minutes=k % 40_000)
                        for k in numbers
                    ],
                    "version_id": [version] * size,
                }
            )


def pages(today: dt.date) -> dict[str, str]:
    month = today.replace(day=1).isoformat()
    scope = f"scope=project:{PROJECT}&from={month}&to={today.isoformat()}"
    return {
        "home": "/",
        "customers": "/customers/",
        "customers search": "/customers/?q=139",
        "sales_detail": f"/reports/?report=sales_detail&{scope}",
        "receipts": f"/reports/?report=receipts&{scope}",
        "board": f"/board/?project={PROJECT}",
        "versions": "/versions/",
        "reconcile": "/reconcile/",
    }


def sign_in(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, page[:500]
    r = s.post(
        base + "login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert r.status_code == 302, (username, r.status_code, r.text[:300])
    return s


def drive(base: str, users: int, rounds: int, paths: dict[str, str]) -> dict[str, list[float]]:
    """Every user requests every page ``rounds`` times; wall times in ms by page."""
    times: dict[str, list[float]] = {name: [] for name in paths}
    sessions = [sign_in(base, f"user{i:02d}") for i in range(users)]
    failures: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(users)

    def work(i: int) -> None:
        s = sessions[i]
        names = list(paths)
        for name in names:  # warm-up, not timed: templates compiled, connections opened
            began = time.perf_counter()
            s.get(base + paths[name].lstrip("/"), timeout=1200)
            if i == 0:
                print(f"  warm-up {name}: {(time.perf_counter() - began) * 1000:.0f} ms", flush=True)
        ready.wait(timeout=600)
        for r in range(rounds):
            for k in range(len(names)):
                name = names[(k + i + r) % len(names)]  # users spread over the pages
                began = time.perf_counter()
                response = s.get(base + paths[name].lstrip("/"), timeout=1200)
                took = (time.perf_counter() - began) * 1000
                with lock:
                    if response.status_code != 200:
                        failures.append(f"{name}: {response.status_code}")
                    times[name].append(took)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=1800)
    if failures:
        raise SystemExit(f"pages failed: {sorted(set(failures))[:5]}")
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="a PostgreSQL server's URL (default: SQLite in a temp dir)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rooms", type=int, default=5_200)
    parser.add_argument("--deals", type=int, default=5_000)
    parser.add_argument("--receipts", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--skip", default="", help="pages to leave out, comma-separated (e.g. home)")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.rooms, args.deals, args.receipts, args.users, args.rounds = (
            2_000,
            400,
            300,
            3_000,
            4,
            1,
        )
    from web.server import Portal

    kind = db_kind(args.db)
    size = f"{args.customers} customers, {args.deals} deals, {args.receipts} receipts, {args.users} users"
    with tempfile.TemporaryDirectory() as tmp_dir, fresh_database(args.db, Path(tmp_dir)) as url:
        tmp = Path(tmp_dir)
        began = time.perf_counter()
        app = salesync_app(url, tmp)
        setup(app, tmp, args.customers, args.rooms, args.deals, args.receipts, args.users)
        print(f"setup ({kind}, {size}): {time.perf_counter() - began:.1f} s", flush=True)
        portal = Portal(app, port=0, threads=8).start()
        try:
            skipped = {name.strip() for name in args.skip.split(",") if name.strip()}
            paths = {k: v for k, v in pages(dt.date.today()).items() if k not in skipped}
            times = drive(portal.url, args.users, args.rounds, paths)
        finally:
            portal.stop()
            app.close()
    print(f"{'page':<18}{'requests':>9}{'median ms':>11}{'p95 ms':>9}  verdict")
    for name, values in times.items():
        high = p95(values)
        verdict = "PASS" if high <= TARGET_MS else "MISS"
        print(f"{name:<18}{len(values):>9}{statistics.median(values):>11.0f}{high:>9.0f}  {verdict}")
        emit_result("portal", f"p95 {name}", high, db=kind, size=size, unit="ms", target=TARGET_MS)


if __name__ == "__main__":
    main()
