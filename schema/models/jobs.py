"""The watcher's durable job queue: every stable file seen on the drive, before it is processed.

One row per (path, content). A row is written as soon as the watcher has read a stable file and
hashed it, so a restarted watcher resumes where it stopped; several watchers share the table and
claim rows one at a time (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL).

A row carries the bytes that were read (``content``, dropped once the job is finished) and the site
that read them (``site``: host and drive root), so a watcher at another site, which cannot open the
path, can still finish it. A claimed row is leased: its worker renews ``heartbeat_at`` while it works.
A job that fails is put back with ``not_before`` (backoff); one that keeps crashing its worker is
``quarantined`` after the configured number of attempts.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, now
from schema.models.ingest import WorkbookVersion


class JobState(StrEnum):
    PENDING = "pending"  # seen, waiting for a worker
    RUNNING = "running"  # claimed by ``claimed_by``
    DONE = "done"  # ingested (``verdict``, ``version_id``)
    REFUSED = "refused"  # not ingested: unmapped folder or a kind the account may not submit (``code``)
    SKIPPED = "skipped"  # nothing to ingest: a blank template
    SUPERSEDED = "superseded"  # a newer save of the same file came first, or the file changed again
    GONE = "gone"  # the file was deleted before it was processed
    FAILED = "failed"  # an unexpected error (``detail``); kept for rows of older releases
    QUARANTINED = "quarantined"  # crashed its worker (or failed) ``attempts`` times: set aside (``detail``)


class WatchJob(Base):
    __tablename__ = "watch_job"
    __table_args__ = (UniqueConstraint("path", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), index=True)
    folder: Mapped[str] = mapped_column(String(300), index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), index=True, default=JobState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far (the backoff grows with them)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # crashes and bugs
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    verdict: Mapped[str | None] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(48))
    detail: Mapped[str | None] = mapped_column(Text)
    stamp_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[bytes | None] = mapped_column(LargeBinary(), deferred=True)
    site: Mapped[str | None] = mapped_column(String(300))
    not_before: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    version: Mapped[WorkbookVersion | None] = relationship()
