"""The durable job queue (``watch_job``): record, claim, finish, take over.

A stable file is recorded (path, content hash, folder, account) before anything is done with it.
Claiming takes the newest pending save of a path whose older saves are superseded, and never a path
another worker is busy with: on PostgreSQL with ``SELECT … FOR UPDATE SKIP LOCKED``, on SQLite with a
single conditional ``UPDATE … RETURNING`` (SQLite runs one writer at a time).

A job left ``running`` by a worker that died is taken over: at once when the worker ran on this host
and its process is gone, else once its lease has run out. A worker renews the lease of the job it
works on (``heartbeat``) every third of the lease, so a long ingest is never taken over.

A job records the bytes that were read and the site that read them: a watcher at another site (its
own drive root, perhaps another host) finishes it from those bytes. A watcher takes its own site's
jobs first and another site's once they have waited ``foreign_after``.

A failed attempt puts the job back with ``not_before`` (exponential backoff). Faults of the world —
disk full, permissions, the database — are retried for as long as they last; a crash of the worker
or an unexpected error counts as a failure, and after ``max_failures`` the job is quarantined.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import psutil
from sqlalchemy import CursorResult, and_, delete, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from schema.base import now
from schema.models import JobState, WatchJob
from sync.app import Salesync
from sync.watch.rules import Place, place_of
from sync.watch.stable import Ready, Signature, Stabilizer, signature

LEASE = timedelta(seconds=90)  # a worker whose heartbeat is older than this is presumed dead
NOTIFY_CHANNEL = "salesync_watch_job"  # PostgreSQL: idle watchers LISTEN, a recorded job NOTIFYs
FINAL_STATES = (
    JobState.DONE.value,
    JobState.REFUSED.value,
    JobState.SKIPPED.value,
    JobState.SUPERSEDED.value,
    JobState.GONE.value,
)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def site_of(root: Path) -> str:
    """The place a watcher reads from: its host and drive root (paths mean nothing elsewhere)."""
    return f"{socket.gethostname()}:{root.resolve()}"[:300]


def backoff(attempt: int, base: float, cap: float) -> timedelta:
    """How long a job waits after its ``attempt``-th try failed: base · 2^(attempt−1), at most cap."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, min(attempt - 1, 30))))


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    path: str
    folder: str
    username: str | None
    sha256: str
    site: str | None = None
    attempts: int = 1
    failures: int = 0


def record(session: Session, item: Ready, place: Place, site: str | None = None) -> bool:
    """Record a stable file as seen, with its bytes; False when this content of this path is
    already recorded. On PostgreSQL the commit wakes idle watchers (NOTIFY)."""
    values: dict[str, Any] = {
        "path": str(item.path),
        "folder": place.folder,
        "username": place.username,
        "sha256": item.sha256,
        "size": item.size,
        "mtime_ns": item.mtime_ns,
        "state": JobState.PENDING.value,
        "attempts": 0,
        "stamp_pending": False,
        "created_at": now(),
        "content": item.data,
        "site": site,
        "failures": 0,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(WatchJob).values(**values).on_conflict_do_nothing(index_elements=["path", "sha256"])
    new = bool(cast(CursorResult[Any], session.execute(stmt)).rowcount)
    if new and dialect == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return new


def _claimable(job: Any, site: str | None, foreign_after: timedelta) -> Any:
    """The newest pending save of a path that no worker is busy with, due (its backoff is over), and
    of this site unless it has waited ``foreign_after`` for its own."""
    newer, busy = aliased(WatchJob), aliased(WatchJob)
    at = now()
    return and_(
        job.state == JobState.PENDING.value,
        or_(job.not_before.is_(None), job.not_before <= at),
        or_(job.site.is_(None), job.site == site, job.created_at <= at - foreign_after),
        ~exists().where(
            newer.path == job.path,
            newer.id > job.id,
            newer.state.in_([JobState.PENDING.value, JobState.RUNNING.value]),
        ),
        ~exists().where(busy.path == job.path, busy.state == JobState.RUNNING.value),
    )


def claim(
    app: Salesync, me: str, site: str | None = None, foreign_after: timedelta = timedelta(seconds=30)
) -> Claimed | None:
    """Take the next job, or None when there is nothing to do."""
    at = now()
    stamp = {"state": JobState.RUNNING.value, "claimed_by": me, "claimed_at": at, "heartbeat_at": at}
    own_first = (WatchJob.site == site).desc()
    with app.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            job_id = session.scalar(
                select(WatchJob.id)
                .where(_claimable(WatchJob, site, foreign_after))
                .order_by(own_first, WatchJob.id)
                .limit(1)
                .with_for_update(skip_locked=True, of=WatchJob)
            )
            if job_id is None:
                return None
            session.execute(
                update(WatchJob).where(WatchJob.id == job_id).values(attempts=WatchJob.attempts + 1, **stamp)
            )
        else:
            cand = aliased(WatchJob)
            first = (
                select(cand.id)
                .where(_claimable(cand, site, foreign_after))
                .order_by((cand.site == site).desc(), cand.id)
                .limit(1)
                .scalar_subquery()
            )
            job_id = session.scalar(
                update(WatchJob)
                .where(WatchJob.id == first, WatchJob.state == JobState.PENDING.value)
                .values(attempts=WatchJob.attempts + 1, **stamp)
                .returning(WatchJob.id)
            )
            if job_id is None:
                return None
        job = session.get_one(WatchJob, job_id)
        session.execute(
            update(WatchJob)
            .where(
                WatchJob.path == job.path,
                WatchJob.id < job.id,
                WatchJob.state == JobState.PENDING.value,
            )
            .values(state=JobState.SUPERSEDED.value, finished_at=now(), content=None)
        )
        return Claimed(
            job.id, job.path, job.folder, job.username, job.sha256, job.site, job.attempts, job.failures
        )


def finish(app: Salesync, job_id: int, state: JobState, **fields: Any) -> None:
    """A final state (or quarantine); the carried bytes are dropped, the stored version keeps them."""
    with app.transaction() as session:
        session.execute(
            update(WatchJob)
            .where(WatchJob.id == job_id)
            .values(state=state.value, finished_at=now(), content=None, not_before=None, **fields)
        )


def carried(app: Salesync, job_id: int) -> bytes | None:
    """The bytes recorded with a job (None when none were carried, or the job is finished)."""
    with app.transaction() as session:
        return session.scalar(select(WatchJob.content).where(WatchJob.id == job_id))


def put_back(app: Salesync, job: Claimed, *, delay: timedelta, code: str, detail: str, failed: bool) -> None:
    """Back in the queue after ``delay``, with a status line (``code``, ``detail``); ``failed``
    counts the attempt towards quarantine."""
    with app.transaction() as session:
        session.execute(
            update(WatchJob)
            .where(WatchJob.id == job.id, WatchJob.state == JobState.RUNNING.value)
            .values(
                state=JobState.PENDING.value,
                not_before=now() + delay,
                code=code,
                detail=detail[:2000],
                failures=WatchJob.failures + (1 if failed else 0),
                claimed_by=None,
                heartbeat_at=None,
            )
        )


def heartbeat(app: Salesync, job_id: int, me: str) -> bool:
    """Renew the lease of a job this worker holds; False when it holds it no longer."""
    with app.transaction() as session:
        result = cast(
            CursorResult[Any],
            session.execute(
                update(WatchJob)
                .where(
                    WatchJob.id == job_id,
                    WatchJob.claimed_by == me,
                    WatchJob.state == JobState.RUNNING.value,
                )
                .values(heartbeat_at=now())
            ),
        )
        return bool(result.rowcount)


def prune(app: Salesync, keep: timedelta) -> int:
    """Delete finished jobs older than ``keep``, except the newest job of each path (a restarted
    watcher learns from it what it need not read again). Quarantined jobs stay until handled."""
    latest = select(func.max(WatchJob.id)).group_by(WatchJob.path).scalar_subquery()
    with app.transaction() as session:
        result = cast(
            CursorResult[Any],
            session.execute(
                delete(WatchJob).where(
                    WatchJob.state.in_(FINAL_STATES),
                    WatchJob.finished_at < now() - keep,
                    WatchJob.id.not_in(latest),
                    WatchJob.stamp_pending.is_(False),
                )
            ),
        )
        return int(result.rowcount)


def release(session: Session, me: str) -> int:
    """Put this worker's own running jobs back (after the database went away mid-job)."""
    result = cast(
        CursorResult[Any],
        session.execute(
            update(WatchJob)
            .where(WatchJob.claimed_by == me, WatchJob.state == JobState.RUNNING.value)
            .values(state=JobState.PENDING.value)
        ),
    )
    return int(result.rowcount)


def _dead(claimed_by: str | None, last_sign: datetime | None, me: str, lease: timedelta) -> bool:
    """Whether the worker that holds a job is gone: its process, when on this host (psutil: the
    same check on Windows and Linux), else its heartbeat older than the lease."""
    host, _, rest = (claimed_by or "").partition(":")
    pid_text = rest.partition(":")[0]
    if claimed_by == me:
        return False
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return True  # an earlier watcher in this very process
        if not psutil.pid_exists(pid):
            return True
    return last_sign is None or last_sign < now() - lease


def take_over(app: Salesync, me: str, lease: timedelta = LEASE) -> int:
    """Put the running jobs of dead workers back in the queue; returns how many."""
    with app.transaction() as session:
        running = session.execute(
            select(
                WatchJob.id, WatchJob.claimed_by, func.coalesce(WatchJob.heartbeat_at, WatchJob.claimed_at)
            ).where(WatchJob.state == JobState.RUNNING.value)
        ).all()
        dead = [job_id for job_id, by, at in running if _dead(by, at, me, lease)]
        if dead:
            session.execute(
                update(WatchJob)
                .where(WatchJob.id.in_(dead), WatchJob.state == JobState.RUNNING.value)
                .values(state=JobState.PENDING.value, claimed_by=None, heartbeat_at=None)
            )
        return len(dead)


def known_signatures(app: Salesync) -> dict[str, Signature]:
    """The size and mtime of the newest recorded save of every path (what a restart need not re-read)."""
    latest = select(func.max(WatchJob.id)).group_by(WatchJob.path).scalar_subquery()
    with app.transaction() as session:
        rows = session.execute(
            select(WatchJob.path, WatchJob.size, WatchJob.mtime_ns).where(WatchJob.id.in_(latest))
        ).all()
    return {path: (size, mtime) for path, size, mtime in rows}


def has_work(app: Salesync) -> bool:
    with app.transaction() as session:
        return bool(
            session.scalar(
                select(func.count(WatchJob.id)).where(
                    WatchJob.state.in_([JobState.PENDING.value, JobState.RUNNING.value])
                )
            )
        )


def record_files(app: Salesync, root: Path, paths: list[Path], site: str | None = None) -> int:
    """Record files in this order now, without waiting for the watcher to find them (``salesync up``
    records the demo workbooks so that they are processed in the demo's order)."""
    count = 0
    for path in paths:
        sig = signature(path)
        item = Stabilizer.read(path, sig) if sig else None
        if item is None:
            continue
        with app.transaction() as session:
            count += record(session, item, place_of(root.resolve(), path.resolve()), site or site_of(root))
    return count
