"""A queue that scales out: a job carries the bytes that were read and the site that read them, so a
watcher at another site (its own drive root) finishes it from those bytes and the stamp waits for a
watcher of the file's own site; leases are renewed by a heartbeat and taken over when it stops; on
PostgreSQL a recorded job wakes an idle watcher (LISTEN/NOTIFY); old finished jobs are pruned."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from schema.base import now
from schema.models import JobState, WatchJob
from sync.app import Salesync
from sync.watch import queue
from sync.xlsx.reader import peek
from tests.conftest import PG_URL
from tests.watching import jobs, no_duplicate_versions, running_watcher, settled, sha, versions, wait_for
from tests.workbooks import customer_rows, fill_template


def saved(path: Path, count: int, start: int) -> bytes:
    return fill_template("customers", customer_rows(count, start=start), path).read_bytes()


def test_a_job_claimed_at_a_site_that_cannot_read_the_file_is_finished_from_its_bytes(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    site_a = app.config.drive_root
    site_b = tmp_path / "drive-b"
    (site_b / "SZ" / "rep_a").mkdir(parents=True)
    path = site_a / "SZ" / "rep_a" / "客户登记.xlsx"
    data = saved(path, 3, 0)
    # site A's watcher recorded the save, then went away before processing it
    assert queue.record_files(app, site_a, [path]) == 1
    with running_watcher(app, site_b, foreign_after=0.0) as watcher_b:
        wait_for("site B to finish site A's job", lambda: [j.state for j in jobs(app)] == ["done"])
        settled(app, watcher_b)
    (job,) = jobs(app)
    assert job.claimed_by == watcher_b.me and job.site == queue.site_of(site_a)
    assert job.stamp_pending and queue.carried(app, job.id) is None
    assert [(v.sha256, v.outcome) for v in versions(app)] == [(sha(data), "accepted")]
    assert path.read_bytes() == data  # site B never touched site A's path
    # site A comes back: the stamp is written there, the stamped copy is recognised, nothing twice
    with running_watcher(app, site_a) as watcher_a:
        wait_for("the stamp at site A", lambda: peek(path.read_bytes())[1] is not None)
        settled(app, watcher_a)
    no_duplicate_versions(app)
    assert len(versions(app)) == 1
    assert all(j.state == "done" for j in jobs(app))


def test_a_lease_is_renewed_while_its_worker_lives_and_taken_over_when_it_stops(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    root = app.config.drive_root
    paths = [root / "SZ" / "rep_a" / f"{i}.xlsx" for i in range(2)]
    for i, path in enumerate(paths):
        saved(path, 1, 10 * i)
    queue.record_files(app, root, paths)
    alive, dead = "far-host:1:live", "far-host:2:dead"
    first = queue.claim(app, alive, queue.site_of(root))
    second = queue.claim(app, dead, queue.site_of(root))
    assert first is not None and second is not None
    stale = now() - timedelta(minutes=5)
    with app.transaction() as session:
        session.execute(update(WatchJob).values(claimed_at=stale, heartbeat_at=stale))
    assert queue.heartbeat(app, first.id, alive)  # the living worker's heartbeat renews its lease
    assert not queue.heartbeat(app, first.id, dead)  # ... and only the holder's counts
    assert queue.take_over(app, "me:3:x", timedelta(seconds=90)) == 1
    states = {j.id: (j.state, j.claimed_by) for j in jobs(app)}
    assert states == {first.id: ("running", alive), second.id: ("pending", None)}


def test_old_finished_jobs_are_pruned_but_the_newest_of_each_path_stays(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    root = app.config.drive_root
    path = root / "SZ" / "rep_a" / "a.xlsx"
    for i in range(3):
        saved(path, 1, 10 * i)
        queue.record_files(app, root, [path])
    job = queue.claim(app, "me:1:x", queue.site_of(root))  # the newest; the older two are superseded
    assert job is not None
    queue.finish(app, job.id, JobState.DONE)
    with app.transaction() as session:
        session.execute(update(WatchJob).values(finished_at=now() - timedelta(days=31)))
    assert queue.prune(app, timedelta(days=30)) == 2
    assert [(j.id, j.state) for j in jobs(app)] == [(job.id, "done")]


@pytest.mark.skipif(not PG_URL, reason="LISTEN/NOTIFY is PostgreSQL's")
def test_on_postgresql_a_recorded_job_wakes_an_idle_watcher(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "drive-elsewhere"
    path = elsewhere / "SZ" / "rep_a" / "客户登记.xlsx"
    data = saved(path, 2, 0)
    app.config.drive_root.mkdir(parents=True)
    # idle, this watcher looks at the queue less and less often (up to every 10 × 600 s): NOTIFY wakes it
    with running_watcher(app, app.config.drive_root, foreign_after=0.0, idle_max=600.0) as watcher:
        wait_for("the watcher to listen and go idle", lambda: watcher._listening)
        wait_for("a few idle turns", lambda: watcher._idle_delay >= 1.0)
        assert watcher.notified == 0
        queue.record_files(app, elsewhere, [path])
        wait_for("the NOTIFY", lambda: watcher.notified >= 1)
        wait_for("the job", lambda: [v.sha256 for v in versions(app)] == [sha(data)])
        settled(app, watcher)
