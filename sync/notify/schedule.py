"""One scheduler, no duplicates: the digests, the period reports and the cadence reminders.

Each job has, at any instant, one period that is due (today's digest once the digest time has
passed on a working day; the day, week or month that closed last, once the report time has passed).
A scheduler turn claims a due period by inserting ``schedule_run (job, period)`` — unique, so of
several schedulers on one database exactly one inserts it — then makes the job's messages while
only reading, and writes them in one short transaction with the run marked done (an ingest never
waits for a report being built). A run claimed by a scheduler that died before finishing it is taken
over after a lease; message keys keep a re-run from repeating what went out. State lives only in the database: a scheduler that was down at 08:30 and starts at
10:00 finds today's digest unclaimed and makes it, once; a digest of a day gone by is not made late.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import ScheduleRun
from sync.app import Salesync
from sync.domain.workdays import WorkCalendar
from sync.notify.digest import make_digests
from sync.notify.periodic import closed_period, period_label, remind_cadence, write_reports
from sync.outbox.messages import Drafts, Poster
from sync.outbox.settings import NotifySettings
from sync.reconcile.cadence import Cadence

log = logging.getLogger("salesync.notify")
HOLIDAYS_FILE = "holidays.toml"
LEASE = dt.timedelta(minutes=30)  # a run claimed this long ago and not finished: its scheduler died


def calendar_of(app: Salesync) -> WorkCalendar:
    """The working-day calendar: ``SALESYNC_HOLIDAYS`` or ``holidays.toml`` in the data directory."""
    chosen = os.environ.get("SALESYNC_HOLIDAYS")
    return WorkCalendar.from_file(Path(chosen) if chosen else app.config.data_dir / HOLIDAYS_FILE)


def claim_run(session: Session, job: str, period: str, me: str) -> bool:
    """Claim ``job`` for ``period``; False when a scheduler (this one or another) already has — unless
    that one claimed it more than ``LEASE`` ago and never finished (it died): then it is taken over."""
    at = now()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ScheduleRun)
        .values(job=job, period=period, claimed_by=me, started_at=at)
        .on_conflict_do_nothing(index_elements=["job", "period"])
        .returning(ScheduleRun.id)  # a row back only when inserted (PostgreSQL's rowcount says -1 here)
    )
    if session.execute(stmt).first() is not None:
        return True
    stale = (
        update(ScheduleRun)
        .where(
            ScheduleRun.job == job,
            ScheduleRun.period == period,
            ScheduleRun.finished_at.is_(None),
            ScheduleRun.started_at < at - LEASE,
        )
        .values(claimed_by=me, started_at=at)
    )
    return bool(cast(CursorResult[Any], session.execute(stale)).rowcount)


@dataclass(frozen=True)
class Due:
    job: str
    period: str
    run: Callable[[Session, Poster], int]


@dataclass
class Scheduler:
    app: Salesync
    me: str
    calendar: WorkCalendar | None = None
    jobs: frozenset[str] | None = None  # only these jobs (default: all)

    def due(self, at: dt.datetime) -> list[Due]:
        settings = NotifySettings.of(self.app.config)
        cal = self.calendar or calendar_of(self.app)
        lang = self.app.config.lang
        local = at.astimezone(SHANGHAI)
        today, time = local.date(), local.time()
        out = []
        if cal.is_workday(today) and time >= settings.digest_time:
            out.append(
                Due("digest", today.isoformat(), lambda s, p: make_digests(s, today, settings, cal, lang, p))
            )
            out.append(
                Due(
                    "cadence",
                    today.isoformat(),
                    lambda s, p: remind_cadence(s, today, cal, settings, lang, p),
                )
            )
        report_day = today if time >= settings.report_time else today - dt.timedelta(days=1)
        drive = self.app.config.drive_root
        for cadence in Cadence:
            start, _ = closed_period(cadence, report_day)

            def run(s: Session, p: Poster, c: Cadence = cadence) -> int:
                return write_reports(s, drive, c, report_day, settings, lang, p)

            out.append(Due(f"report-{cadence.value}", period_label(cadence, start), run))
        return out

    def tick(self, at: dt.datetime | None = None) -> list[tuple[str, str, int]]:
        """Run every job due at ``at`` (default: now) that no scheduler has run; what ran, with the
        number of messages each made."""
        ran = []
        for due in self.due(at or now()):
            if self.jobs is not None and due.job not in self.jobs:
                continue
            with self.app.transaction() as session:  # a short write: the claim
                if not claim_run(session, due.job, due.period, self.me):
                    continue
            drafts = Drafts()
            with self.app.sessions() as session:  # the long part only reads: an ingest never waits for it
                due.run(session, drafts.post)
                session.rollback()
            with self.app.transaction() as session:  # a short write: the messages, and the run done
                made = drafts.flush(session)
                session.execute(
                    update(ScheduleRun)
                    .where(ScheduleRun.job == due.job, ScheduleRun.period == due.period)
                    .values(finished_at=now(), detail=f"{made} messages")
                )
            log.info("scheduled %s for %s: %s messages", due.job, due.period, made)
            ran.append((due.job, due.period, made))
        return ran
