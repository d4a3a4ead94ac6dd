"""我的任务 at volume: the first page for an account holding about 30k tasks, and for one with about 5k.

For each size a fresh database gets a region written in bulk (``bench/task_region.py``: set inserts,
no workbooks, so setup takes seconds), then the first page of the rep's 我的任务 is timed twice over:
through the domain function (``sync.domain.task_pages.task_page``) and through the portal page
(``GET /`` with Flask's test client, signed in as the rep). Each figure is the median of ``--runs``
after one warm-up run. Targets: ≤ 0.3 s at 30k tasks (the at-scale and bulk-speed issues) and ≤ 300 ms
at 5k (the portal issue). ``--db URL`` runs on PostgreSQL (a new database on that server per size).

    python bench/tasks.py [--tasks 30000,5000] [--runs 5] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import fresh_database

TARGET_S = 0.3
PASSWORD = "bench-only-pass"
TASKS_PER_DEAL = 1.95  # the region gives rep_a about this many tasks per deal (share 0.8)


def _median(runs: int, work: Callable[[], Any]) -> float:
    work()  # warm-up: the calendar tables, the compiled statements
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _signed_in(portal: Any, username: str) -> Any:
    client = portal.test_client()
    html = client.get("/login").get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    token = html[start : html.index('"', start)]
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "sign-in failed"
    return client


def run(size: int, db: str | None, runs: int) -> dict[str, Any]:
    from bench.task_region import build_region
    from schema.base import SHANGHAI
    from sync.app import Salesync
    from sync.core.config import Config
    from sync.domain.task_pages import TaskQuery, task_page
    from web import create_app

    today = dt.datetime.now(SHANGHAI).date()  # the portal's today
    deals = max(int(size / TASKS_PER_DEAL), 10)
    with tempfile.TemporaryDirectory() as tmpdir, fresh_database(db, Path(tmpdir)) as url:
        tmp = Path(tmpdir)
        app = Salesync(Config(database_url=url, data_dir=tmp / "data", drive_root=tmp / "drive"))
        app.init()
        start = time.perf_counter()
        with app.transaction() as session:
            build_region(session, customers=deals, deals=deals, today=today, share=0.8, password=PASSWORD)
        setup = time.perf_counter() - start

        def domain() -> Any:
            with app.transaction() as session:
                return task_page(session, "rep_a", TaskQuery(limit=50), today)

        first = domain()
        portal = create_app(app, {"TESTING": True})
        client = _signed_in(portal, "rep_a")

        def page() -> None:
            response = client.get("/")
            assert response.status_code == 200 and 'id="tasks"' in response.get_data(as_text=True)

        try:
            return {
                "size": size,
                "tasks": first.total,
                "counts": first.counts,
                "setup_s": setup,
                "domain_s": _median(runs, domain),
                "portal_s": _median(runs, page),
                "db": "PostgreSQL" if url.startswith("postgresql") else "SQLite",
            }
        finally:
            app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="30000,5000", help="comma-separated task counts to build")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: SQLite in a temp file)")
    args = parser.parse_args()
    print(f"salesync 我的任务 bench — Python {platform.python_version()}, {platform.machine()}")
    results = [run(int(n), args.db, args.runs) for n in args.tasks.split(",") if n.strip()]
    print(
        "\n| database | tasks of the account | by kind | setup s | first page, domain s | first page, portal s | target | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        kinds = ", ".join(f"{k} {n:,}" for k, n in r["counts"].items())
        worst = max(r["domain_s"], r["portal_s"])
        verdict = "PASS" if worst <= TARGET_S else "MISS"
        print(
            f"| {r['db']} | {r['tasks']:,} | {kinds} | {r['setup_s']:.1f} | {r['domain_s']:.3f} | "
            f"{r['portal_s']:.3f} | ≤ {TARGET_S:.1f} s | {verdict} |"
        )


if __name__ == "__main__":
    main()
