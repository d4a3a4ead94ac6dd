"""我的任务 at volume: the first page for an account holding about 30k tasks, and for one with about 5k.

For each size a fresh database gets a region written in bulk (``bench/task_region.py``: set inserts,
no workbooks, so setup takes seconds), then the first page of the rep's 我的任务 is timed twice over:
through the domain function (``sync.domain.task_pages.task_page``) and through the portal page
(``GET /`` with Flask's test client, signed in as the rep). Each figure is the median of ``--runs``
after one warm-up run. Targets: ≤ 0.3 s at 30k tasks and ≤ 300 ms
at 5k. ``--db URL`` runs on PostgreSQL (a new database on that server per size).

    python bench/tasks.py [--tasks 30000,5000] [--runs 5] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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

try:  # the result protocol of bench/run.py (bench/common.py), where this checkout has it
    from bench.common import emit_result  # type: ignore[attr-defined]
except ImportError:  # the same line, printed here

    def emit_result(bench: str, measure: str, value: float, **about: Any) -> dict[str, Any]:
        target, compare = about.get("target"), about.get("compare", "<=")
        verdict = "INFO" if target is None else ("PASS" if value <= target else "MISS")
        result = {
            "bench": bench,
            "measure": measure,
            "db": about.get("db", "-"),
            "size": about.get("size"),
            "value": round(float(value), 4),
            "unit": about.get("unit", "×"),
            "target": target,
            "compare": compare,
            "verdict": verdict,
        }
        print("BENCH " + json.dumps(result, ensure_ascii=False), flush=True)
        return result


TARGET_S = 0.3
PASSWORD = "bench-only-pass"
WHOLE_UP_TO = 10_000  # sizes at which the whole list (sync.domain.tasks.tasks_for) is timed once too
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
    from sync.domain.tasks import tasks_for
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

        whole_s = None
        if size <= WHOLE_UP_TO:  # the whole list as computed before, once, for the ratio
            with app.transaction() as session:
                start = time.perf_counter()
                tasks_for(session, "rep_a", today)
                whole_s = time.perf_counter() - start
        try:
            return {
                "whole_s": whole_s,
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
    parser.add_argument("--quick", action="store_true", help="2,000 and 500 tasks, one run: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.runs = "2000,500", 1
    print(f"salesync 我的任务 bench — Python {platform.python_version()}, {platform.machine()}")
    results = [run(int(n), args.db, args.runs) for n in args.tasks.split(",") if n.strip()]
    print(
        "\n| database | tasks of the account | by kind | setup s | whole list (before) s | "
        "first page, domain s | first page, portal s | target | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        kinds = ", ".join(f"{k} {n:,}" for k, n in r["counts"].items())
        worst = max(r["domain_s"], r["portal_s"])
        verdict = "PASS" if worst <= TARGET_S else "MISS"
        db = "postgresql" if r["db"] == "PostgreSQL" else "sqlite"
        for measure in ("domain", "portal"):
            emit_result(
                "tasks",
                f"first page of 我的任务, {measure}",
                r[f"{measure}_s"],
                db=db,
                size=r["tasks"],
                unit="s",
                target=TARGET_S,
            )
        if r["whole_s"] is not None:
            emit_result("tasks", "whole list as before", r["whole_s"], db=db, size=r["tasks"], unit="s")
        print(
            f"| {r['db']} | {r['tasks']:,} | {kinds} | {r['setup_s']:.1f} | "
            f"{'—' if r['whole_s'] is None else format(r['whole_s'], '.2f')} | {r['domain_s']:.3f} | "
            f"{r['portal_s']:.3f} | ≤ {TARGET_S:.1f} s | {verdict} |"
        )


if __name__ == "__main__":
    main()
