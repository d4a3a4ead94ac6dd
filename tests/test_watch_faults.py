"""No poison pill, no lost save: a file that crashes its worker is quarantined after a few attempts
while everyone else's saves keep flowing; disk full, a permission error and a database error leave
the job waiting with a status line and finish once the fault is gone. Real watcher, real worker
process, real database; the faults are injected into the worker process by file name
(``SALESYNC_WORKER_FAULTS``), the crash is a real process exit and the memory one a real allocation
refused by the worker's address-space cap."""

from __future__ import annotations

import errno
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schema.models import WatchJob
from sync.app import Salesync
from sync.cli import main
from sync.core.config import Config
from sync.domain import accounts
from sync.isolated import FAULTS_ENV
from sync.pipeline.feedback import result_path
from sync.watch.queue import carried
from tests.conftest import PG_URL
from tests.watching import jobs, running_watcher, settled, sha, version_of, versions, wait_for
from tests.workbooks import customer_rows, fill_template

QUICK_RETRY = {"backoff": 0.1, "backoff_max": 0.5, "max_failures": 3}


def customers(tmp_path: Path, count: int, start: int) -> bytes:
    path = fill_template("customers", customer_rows(count, start=start), tmp_path / "build" / f"{start}.xlsx")
    return path.read_bytes()


@pytest.fixture
def faults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "faults.json"
    path.write_text("{}", encoding="utf-8")
    monkeypatch.setenv(FAULTS_ENV, str(path))
    return path


def set_faults(path: Path, faults: dict[str, str]) -> None:
    path.write_text(json.dumps(faults, ensure_ascii=False), encoding="utf-8")


def job_of(app: Salesync, name: str) -> WatchJob | None:
    return next((j for j in jobs(app) if Path(j.path).name == name), None)


def status_json(app: Salesync, *extra: str) -> Any:
    url = app.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--db", url, "status", "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_file_that_kills_its_worker_is_quarantined_and_the_rest_flows(
    app: Salesync, people: dict[str, str], tmp_path: Path, faults: Path
) -> None:
    root = app.config.drive_root
    rep_a, rep_b = root / "SZ" / "rep_a", root / "SZ" / "rep_b"
    rep_a.mkdir(parents=True)
    rep_b.mkdir(parents=True)
    set_faults(faults, {"毒.xlsx": "exit", "大.xlsx": "memory"})
    poison, hog = customers(tmp_path, 2, 0), customers(tmp_path, 2, 10)
    good_b, good_a = customers(tmp_path, 3, 100), customers(tmp_path, 2, 200)
    (rep_a / "毒.xlsx").write_bytes(poison)
    (rep_a / "大.xlsx").write_bytes(hog)
    with running_watcher(app, root, **QUICK_RETRY) as watcher:
        (rep_b / "客户登记.xlsx").write_bytes(good_b)
        wait_for("rep_b's save", lambda: version_of(app, sha(good_b)))
        wait_for(
            "both hostile files quarantined",
            lambda: (
                {j.state for j in jobs(app) if Path(j.path).name in ("毒.xlsx", "大.xlsx")} == {"quarantined"}
            ),
        )
        # the watcher is still up and still working: a later save of another file goes through
        (rep_a / "客户登记.xlsx").write_bytes(good_a)
        wait_for("rep_a's next save", lambda: version_of(app, sha(good_a)))
        settled(app, watcher)
        assert watcher.isolated is not None and watcher.isolated.started >= 2  # replaced after crashes
    assert version_of(app, sha(poison)) is None and version_of(app, sha(hog)) is None
    crashed, hogged = job_of(app, "毒.xlsx"), job_of(app, "大.xlsx")
    assert crashed is not None and hogged is not None and crashed.detail and hogged.detail
    assert (crashed.failures, crashed.code) == (3, "watch-quarantined")
    assert carried(app, crashed.id) is None  # its bytes are not kept twice
    assert "3" in crashed.detail and "exit code 134" in crashed.detail
    assert "out of memory" in hogged.detail
    assert result_path(rep_a / "毒.xlsx").exists()  # the author is told, beside the file
    folders = {row["folder"]: row for row in status_json(app)}
    quarantined = {Path(e["file"]).name: e["state"] for e in folders["SZ/rep_a"]["errors"]}
    assert quarantined == {"毒.xlsx": "quarantined", "大.xlsx": "quarantined"}
    queue = status_json(app, "--queue")
    assert (queue["depth"], queue["quarantined"]) == (0, 2)


def test_disk_full_permission_and_database_errors_wait_and_then_finish(
    app: Salesync, people: dict[str, str], tmp_path: Path, faults: Path
) -> None:
    home = app.config.drive_root / "SZ" / "rep_a"
    home.mkdir(parents=True)
    names = {"满.xlsx": "enospc", "权限.xlsx": "eacces", "库.xlsx": "db"}
    set_faults(faults, names)
    saved = {name: customers(tmp_path, 2, 20 * i) for i, name in enumerate(names)}
    for name, data in saved.items():
        (home / name).write_bytes(data)
    with running_watcher(app, app.config.drive_root, **QUICK_RETRY) as watcher:
        wait_for(
            "each fault to be met at least four times (more than the quarantine limit)",
            lambda: all((j := job_of(app, n)) is not None and j.attempts >= 4 for n in names),
        )
        waiting = {Path(j.path).name: (j.state, j.code) for j in jobs(app)}
        assert all(waiting[n] in (("pending", "watch-fault"), ("running", "watch-fault")) for n in names), (
            waiting
        )
        queue = status_json(app, "--queue")
        assert queue["depth"] == 3 and queue["oldest"] is not None
        rows = {row["folder"]: row for row in status_json(app)}
        lines = " ".join(e["message"] for e in rows["SZ/rep_a"]["errors"])
        assert "No space left on device" in lines and "Permission denied" in lines and "disk I/O" in lines
        set_faults(faults, {})  # space returns, the permission is granted, the database recovers
        digests = {sha(data) for data in saved.values()}
        wait_for("every file ingested", lambda: digests <= {v.sha256 for v in versions(app)})
        settled(app, watcher)
    assert {Path(j.path).name: (j.state, j.failures) for j in jobs(app)} == {n: ("done", 0) for n in names}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 16 MB file system (tmpfs; needs root), unmounted at the end."""
    if PG_URL:
        pytest.skip("the database on a small disk is SQLite's case")
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; the filler file, to delete when space should return."""
    filler = disk / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_database_on_a_full_disk_loses_no_save(tmp_path: Path, small_disk: Path) -> None:
    config = Config(
        database_url=f"sqlite:///{small_disk / 'salesync.db'}",
        data_dir=tmp_path / "data",
        drive_root=tmp_path / "drive",
    )
    app = Salesync(config)
    try:
        app.init()
        with app.transaction() as session:
            accounts.add_region(session, "SZ", "深圳地区公司")
            accounts.add_user(
                session, "rep_a", name="张丽", roles=["sales_rep"], password="x" * 12, region="SZ"
            )
        home = config.drive_root / "SZ" / "rep_a"
        home.mkdir(parents=True)
        data = customers(tmp_path, 40, 0)
        filler = fill(small_disk)
        with running_watcher(app, config.drive_root, **QUICK_RETRY) as watcher:
            (home / "客户登记.xlsx").write_bytes(data)
            wait_for("the watcher to meet the full disk", lambda: watcher.paused)
            filler.unlink()  # space returns
            wait_for("the save, once there is space", lambda: version_of(app, sha(data)))
            settled(app, watcher)
        saved_job = next(j for j in jobs(app) if j.sha256 == sha(data))
        assert (saved_job.state, saved_job.verdict) == ("done", "accepted")
        assert {j.state for j in jobs(app)} == {"done"}  # and salesync's stamped copy, recognised
        assert [v.sha256 for v in versions(app)] == [sha(data)]
    finally:
        app.close()
