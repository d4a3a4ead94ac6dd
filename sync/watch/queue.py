"""The durable job queue (``watch_job``): record, claim, finish, take over.

A stable file is recorded (path, content hash, folder, account) before anything is done with it.
Claiming takes the newest pending save of a path whose older saves are superseded, and never a path
another worker is busy with: on PostgreSQL with ``SELECT … FOR UPDATE SKIP LOCKED``, on SQLite with a
single conditional ``UPDATE … RETURNING`` (SQLite runs one writer at a time).

A job left ``running`` by a worker that died is taken over: at once when the worker ran on this host
and its process is gone, else once its lease has run out.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, and_, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from schema.base import now
from schema.models import JobState, WatchJob
from sync.app import Salesync
from sync.watch.rules import Place, place_of
from sync.watch.stable import Ready, Signature, Stabilizer, signature

LEASE = timedelta(minutes=10)  # a worker on another host is presumed dead after this long


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    path: str
    folder: str
    username: str | None
    sha256: str


def record(session: Session, item: Ready, place: Place) -> bool:
    """Record a stable file as seen; False when this content of this path is already recorded."""
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
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(WatchJob).values(**values).on_conflict_do_nothing(index_elements=["path", "sha256"])
    return bool(cast(CursorResult[Any], session.execute(stmt)).rowcount)


def _claimable(job: Any) -> Any:
    """The newest pending save of a path that no worker is busy with."""
    newer, busy = aliased(WatchJob), aliased(WatchJob)
    return and_(
        job.state == JobState.PENDING.value,
        ~exists().where(
            newer.path == job.path,
            newer.id > job.id,
            newer.state.in_([JobState.PENDING.value, JobState.RUNNING.value]),
        ),
        ~exists().where(busy.path == job.path, busy.state == JobState.RUNNING.value),
    )


def claim(app: Salesync, me: str) -> Claimed | None:
    """Take the next job, or None when there is nothing to do."""
    stamp = {"state": JobState.RUNNING.value, "claimed_by": me, "claimed_at": now()}
    with app.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            job_id = session.scalar(
                select(WatchJob.id)
                .where(_claimable(WatchJob))
                .order_by(WatchJob.id)
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
            first = select(cand.id).where(_claimable(cand)).order_by(cand.id).limit(1).scalar_subquery()
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
            .values(state=JobState.SUPERSEDED.value, finished_at=now())
        )
        return Claimed(job.id, job.path, job.folder, job.username, job.sha256)


def finish(app: Salesync, job_id: int, state: JobState, **fields: Any) -> None:
    with app.transaction() as session:
        session.execute(
            update(WatchJob)
            .where(WatchJob.id == job_id)
            .values(state=state.value, finished_at=now(), **fields)
        )


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


def _dead(claimed_by: str | None, claimed_at: Any, me: str) -> bool:
    host, _, rest = (claimed_by or "").partition(":")
    pid_text = rest.partition(":")[0]
    if claimed_by == me:
        return False
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return True  # an earlier watcher in this very process
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return claimed_at is None or claimed_at < now() - LEASE


def take_over(app: Salesync, me: str) -> int:
    """Put the running jobs of dead workers back in the queue; returns how many."""
    with app.transaction() as session:
        running = session.execute(
            select(WatchJob.id, WatchJob.claimed_by, WatchJob.claimed_at).where(
                WatchJob.state == JobState.RUNNING.value
            )
        ).all()
        dead = [job_id for job_id, by, at in running if _dead(by, at, me)]
        if dead:
            session.execute(
                update(WatchJob)
                .where(WatchJob.id.in_(dead), WatchJob.state == JobState.RUNNING.value)
                .values(state=JobState.PENDING.value)
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


def record_files(app: Salesync, root: Path, paths: list[Path]) -> int:
    """Record files in this order now, without waiting for the watcher to find them (``salesync up``
    records the demo workbooks so that they are processed in the demo's order)."""
    count = 0
    for path in paths:
        sig = signature(path)
        item = Stabilizer.read(path, sig) if sig else None
        if item is None:
            continue
        with app.transaction() as session:
            count += record(session, item, place_of(root.resolve(), path.resolve()))
    return count
