"""The watcher as real processes: SIGKILL mid-ingest and a restart, SIGTERM, two watchers on one
PostgreSQL database, the database going away while files arrive, and ``salesync up``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from schema.models import Customer
from sync.app import Salesync
from sync.core.config import Config
from sync.domain import accounts
from sync.tools.examples import write_customers_workbook
from sync.watch.rules import is_candidate
from tests.conftest import PG_URL
from tests.watching import (
    DEADLINE,
    SALESYNC,
    WatcherProcess,
    jobs,
    no_duplicate_versions,
    sha,
    version_of,
    versions,
    wait_for,
)
from tests.workbooks import customer_rows, fill_template

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def processes() -> Iterator[list[WatcherProcess]]:
    started: list[WatcherProcess] = []
    yield started
    for proc in started:
        proc.close()


def start(processes: list[WatcherProcess], app: Salesync, tmp_path: Path, name: str) -> WatcherProcess:
    url = app.engine.url.render_as_string(hide_password=False)
    proc = WatcherProcess(url, app.config.drive_root, tmp_path / f"{name}.log")
    processes.append(proc)
    return proc


def small(path: Path, count: int, start_at: int) -> str:
    return sha(fill_template("customers", customer_rows(count, start=start_at), path))


def all_done(app: Salesync, digests: list[str]) -> bool:
    """Every save in ``digests`` is a version, and the watchers have caught up with the drive: each
    workbook's current content (salesync's stamped copy included) is recorded and processed."""
    if not set(digests) <= {v.sha256 for v in versions(app)}:
        return False
    recorded = jobs(app)
    if any(j.state in ("pending", "running") for j in recorded):
        return False
    seen = {(j.path, j.sha256) for j in recorded}
    on_drive = [p for p in app.config.drive_root.rglob("*.xlsx") if is_candidate(p, app.config.drive_root)]
    return all((str(p), sha(p)) in seen for p in on_drive)


def test_sigkill_mid_ingest_then_restart_loses_nothing_and_repeats_nothing(
    app: Salesync, people: dict[str, str], tmp_path: Path, processes: list[WatcherProcess]
) -> None:
    home = app.config.drive_root / "SZ" / "rep_a"
    big = write_customers_workbook(home / "大表.xlsx", 3000, seed=5, first_phone=10_000)
    digests = [sha(big), small(home / "a.xlsx", 3, 0), small(home / "b.xlsx", 4, 100)]
    first = start(processes, app, tmp_path, "first")
    wait_for(
        "the big workbook's ingest to start",
        lambda: any(j.state == "running" and j.sha256 == digests[0] for j in jobs(app)),
    )
    first.signal(signal.SIGKILL)
    assert first.wait() == -signal.SIGKILL
    start(processes, app, tmp_path, "second")
    wait_for("every file after the restart", lambda: all_done(app, digests))
    no_duplicate_versions(app)
    assert sorted(v.sha256 for v in versions(app) if v.outcome != "unchanged") == sorted(digests)
    with app.transaction() as session:
        owned = session.scalar(select(func.count(Customer.id)))
    assert owned == 3000 + 3 + 4
    assert {j.state for j in jobs(app)} <= {"done", "superseded"}, [
        (j.path, j.state, j.verdict) for j in jobs(app)
    ]


def test_sigterm_finishes_the_current_version_then_exits(
    app: Salesync, people: dict[str, str], tmp_path: Path, processes: list[WatcherProcess]
) -> None:
    home = app.config.drive_root / "SZ" / "rep_a"
    digest = sha(write_customers_workbook(home / "大表.xlsx", 2000, seed=6, first_phone=20_000))
    proc = start(processes, app, tmp_path, "watcher")
    wait_for("the ingest to start", lambda: any(j.state == "running" for j in jobs(app)))
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0
    assert [(j.sha256, j.state) for j in jobs(app)] == [(digest, "done")]
    assert version_of(app, digest) is not None
    events = [e["event"] for e in proc.events()]
    assert events.index("watch-stopping") < events.index("watch-ingested") < events.index("watch-stopped")


@pytest.mark.skipif(not PG_URL, reason="several watchers share one database only on PostgreSQL (SKIP LOCKED)")
def test_two_watchers_on_one_postgresql_database_process_each_version_once(
    app: Salesync, people: dict[str, str], tmp_path: Path, processes: list[WatcherProcess]
) -> None:
    root = app.config.drive_root
    digests = [
        small(root / "SZ" / rep / f"{rep}-{i}.xlsx", 2, 1000 * (r + 1) + 10 * i)
        for r, rep in enumerate(("rep_a", "rep_b"))
        for i in range(8)
    ]
    one, two = start(processes, app, tmp_path, "one"), start(processes, app, tmp_path, "two")
    wait_for("both watchers", lambda: one.logged("watch-started") and two.logged("watch-started"))
    for i in range(4):  # more saves while both run
        digests.append(small(root / "SZ" / "rep_a" / f"later-{i}.xlsx", 2, 5000 + 10 * i))
    wait_for("every file", lambda: all_done(app, digests))
    no_duplicate_versions(app)
    processed = [j for j in jobs(app) if j.verdict in ("accepted", "partial", "rejected")]
    assert sorted(j.sha256 for j in processed) == sorted(digests)
    assert len(versions(app)) == len(digests)
    assert {j.claimed_by for j in jobs(app)} <= {None} | {j.claimed_by for j in processed}


Outage = Callable[[Salesync], Callable[[], None]]


def folder_goes_away(app: Salesync) -> Callable[[], None]:
    """SQLite: the database's folder is moved away (a share gone offline); returns what brings it back."""
    app.engine.dispose()
    db_dir = Path(str(app.engine.url.database)).parent
    away = db_dir.with_name(db_dir.name + "-away")
    db_dir.rename(away)

    def back() -> None:
        away.rename(db_dir)

    return back


def connections_refused(app: Salesync) -> Callable[[], None]:
    """PostgreSQL: the database refuses connections and every session to it is cut."""
    app.engine.dispose()
    name = app.engine.url.database
    admin = create_engine(make_url(str(PG_URL)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )

    def back() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()

    return back


def outage_scenario(app: Salesync, tmp_path: Path, processes: list[WatcherProcess], outage: Outage) -> None:
    """Files arrive while the database is away: the watcher pauses, then ingests every one, once."""
    app.init()
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        accounts.add_user(session, "rep_a", name="张丽", roles=["sales_rep"], password="x" * 12, region="SZ")
    home = app.config.drive_root / "SZ" / "rep_a"
    before = small(home / "before.xlsx", 2, 0)
    proc = start(processes, app, tmp_path, "watcher")
    wait_for("the first file", lambda: all_done(app, [before]))
    bring_back = outage(app)
    arrived = [small(home / f"while-away-{i}.xlsx", 2, 100 * (i + 1)) for i in range(3)]
    wait_for("the watcher to pause", lambda: proc.logged("watch-db-paused"))
    bring_back()
    wait_for("every file once the database is back", lambda: all_done(app, [before, *arrived]))
    assert proc.logged("watch-db-resumed")
    no_duplicate_versions(app)
    assert sorted(v.sha256 for v in versions(app) if v.outcome == "accepted") == sorted([before, *arrived])


def test_database_outage_pauses_and_resumes_with_every_file_ingested(
    config: Config, tmp_path: Path, processes: list[WatcherProcess]
) -> None:
    if not PG_URL:  # the database in a folder of its own, so that the folder can go away
        config = config.with_(database_url=f"sqlite:///{tmp_path / 'db' / 'salesync.db'}")
    app = Salesync(config)
    try:
        outage_scenario(app, tmp_path, processes, connections_refused if PG_URL else folder_goes_away)
    finally:
        app.close()


class Server:
    """A PostgreSQL server of this test's own (scripts/pg-start), to stop and start again."""

    def __init__(self, state: Path) -> None:
        subprocess.run([str(REPO / "scripts" / "pg-start"), str(state)], check=True, capture_output=True)
        self.state = state
        self.url, directory = state.read_text().splitlines()[:2]
        self.dir = Path(directory)
        self.port = str(make_url(self.url).port)

    def pg_ctl(self, *args: str) -> None:
        command = [(self.dir / "bindir").read_text().strip() + "/pg_ctl", *args, "-D", str(self.dir / "data")]
        if os.geteuid() == 0:  # pg-start runs the server as its own system user
            command = ["runuser", "-u", self.dir.owner(), "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.dir)

    def stop(self) -> Callable[[], None]:
        self.pg_ctl("stop", "-m", "fast", "-w")
        return lambda: self.pg_ctl(
            "start", "-w", "-l", str(self.dir / "postgres.log"), "-o", f"-p {self.port}"
        )

    def remove(self) -> None:
        subprocess.run([str(REPO / "scripts" / "pg-stop"), str(self.state)], check=False, capture_output=True)


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL's binaries, which the PostgreSQL run has")
def test_postgresql_server_stopped_and_started_again(
    config: Config, tmp_path: Path, processes: list[WatcherProcess]
) -> None:
    server = Server(tmp_path / "pg-state")
    app = Salesync(config.with_(database_url=server.url))
    try:
        outage_scenario(app, tmp_path, processes, lambda _: server.stop())
    finally:
        app.close()
        for proc in processes:
            proc.close()
        server.remove()


def test_up_initialises_builds_the_demo_drive_watches_it_and_serves_the_portal(tmp_path: Path) -> None:
    # the embedded default, whatever the test run's environment: SQLite and a drive under --data-dir
    env = {k: v for k, v in os.environ.items() if k not in ("SALESYNC_DATABASE_URL", "SALESYNC_DRIVE")}
    data = tmp_path / "data"
    log = (tmp_path / "up.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [SALESYNC, "--data-dir", str(data), "up", "--json-logs", "--port", "0"],  # any free port
        stdout=log,
        stderr=log,
        env=env,
        cwd=tmp_path,
    )
    try:
        text_of = lambda: (tmp_path / "up.log").read_text(encoding="utf-8")  # noqa: E731
        wait_for(
            "the three demo workbooks",
            lambda: text_of().count('"event": "watch-ingested"') >= 3,
            timeout=DEADLINE,  # the demo is built first: still one generous ceiling
        )
        found = re.search(r"门户：(http://127\.0\.0\.1:\d+/)", text_of())
        assert found, text_of()
        with urllib.request.urlopen(found.group(1) + "login", timeout=DEADLINE) as page:
            assert page.status == 200 and "登录 salesync" in page.read().decode()
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=DEADLINE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    out = text_of()
    assert "演示共享盘" in out and str((data / "drive").resolve()) in out
    assert (data / "drive" / "SZ" / "zhangli" / "客户登记.反馈.xlsx").exists()
    assert '"event": "watch-stopped"' in out
