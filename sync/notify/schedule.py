"""One scheduler, no duplicates: the digests, the period reports and the cadence reminders.

Each job has, at any instant, one period that is due (today's digest once the digest time has
passed on a working day; the day, week or month that closed last, once the report time has passed).
A scheduler turn claims a due period by inserting ``schedule_run (job, period)`` — unique, so of
several schedulers on one database exactly one inserts it — and makes the job's messages in the
same transaction. State lives only in the database: a scheduler that was down at 08:30 and starts at
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

from sqlalchemy import CursorResult
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import ScheduleRun
from sync.app import Salesync
from sync.notify.digest import make_digests
from sync.notify.periodic import closed_period, period_label, remind_cadence, write_reports
from sync.notify.settings import NotifySettings
from sync.reconcile.cadence import Cadence
from sync.workdays import WorkCalendar

log = logging.getLogger("salesync.notify")
HOLIDAYS_FILE = "holidays.toml"


def calendar_of(app: Salesync) -> WorkCalendar:
    """The working-day calendar: ``SALESYNC_HOLIDAYS`` or ``holidays.toml`` in the data directory."""
    chosen = os.environ.get("SALESYNC_HOLIDAYS")
    return WorkCalendar.from_file(Path(chosen) if chosen else app.config.data_dir / HOLIDAYS_FILE)


def claim_run(session: Session, job: str, period: str, me: str) -> bool:
    """Claim ``job`` for ``period``; False when a scheduler (this one or another) already has."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ScheduleRun)
        .values(job=job, period=period, claimed_by=me, started_at=now())
        .on_conflict_do_nothing(index_elements=["job", "period"])
    )
    return bool(cast(CursorResult[Any], session.execute(stmt)).rowcount)


@dataclass(frozen=True)
class Due:
    job: str
    period: str
    run: Callable[[Session], int]


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
                Due("digest", today.isoformat(), lambda s: make_digests(s, today, settings, cal, lang))
            )
            out.append(
                Due("cadence", today.isoformat(), lambda s: remind_cadence(s, today, cal, settings, lang))
            )
        report_day = today if time >= settings.report_time else today - dt.timedelta(days=1)
        drive = self.app.config.drive_root
        for cadence in Cadence:
            start, _ = closed_period(cadence, report_day)

            def run(s: Session, c: Cadence = cadence) -> int:
                return write_reports(s, drive, c, report_day, settings, lang)

            out.append(Due(f"report-{cadence.value}", period_label(cadence, start), run))
        return out

    def tick(self, at: dt.datetime | None = None) -> list[tuple[str, str, int]]:
        """Run every job due at ``at`` (default: now) that no scheduler has run; what ran, with the
        number of messages each made."""
        ran = []
        for due in self.due(at or now()):
            if self.jobs is not None and due.job not in self.jobs:
                continue
            with self.app.transaction() as session:
                if not claim_run(session, due.job, due.period, self.me):
                    continue
                made = due.run(session)
                run = session.query(ScheduleRun).filter_by(job=due.job, period=due.period).one()
                run.finished_at, run.detail = now(), f"{made} messages"
            log.info("scheduled %s for %s: %s messages", due.job, due.period, made)
            ran.append((due.job, due.period, made))
        return ran
