"""Which working-day calendar a project's deadlines follow.

Most projects follow the statutory calendar (:data:`sync.domain.workdays.DEFAULT_CALENDAR`: weekends and
statutory holidays off, make-up working weekends on). A sales office that stays open through
weekends and holidays — as most sales offices are, since holidays are when buyers come — may
declare so for its project: then every day is a working day for that project's deadlines (a deal
or receipt on 国庆 is due that same day; a questionnaire filled on Oct 1 is due by Oct 3), except
the days off it declares (e.g. 除夕 and 春节初一). The declaration is kept in ``office_calendar``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import Account, OfficeCalendar, Project
from sync.core.errors import Refused
from sync.domain.accounts import is_group_admin, is_region_admin
from sync.domain.workdays import DEFAULT_CALENDAR, WorkCalendar
from sync.domain.worklog import LogWriter

_CACHE_KEY = "salesync.office_calendars"  # per session: a declaration does not change mid-transaction


@functools.lru_cache(maxsize=64)
def _every_day_but(days_off: frozenset[dt.date]) -> WorkCalendar:
    """One calendar per distinct declaration, built once per process."""
    return WorkCalendar(holidays=set(days_off), every_day=True)


def parse_days_off(text: str) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(d) for d in text.split(",") if d.strip())


def calendar_for(
    session: Session, project_code: str | None, default: WorkCalendar = DEFAULT_CALENDAR
) -> WorkCalendar:
    """The calendar of ``project_code``'s deadlines: its office's own, if declared, else ``default``."""
    if project_code is None:
        return default
    cache: dict[str, OfficeCalendar | None] = session.info.setdefault(_CACHE_KEY, {})
    if project_code not in cache:
        cache[project_code] = session.get(OfficeCalendar, project_code)
    declared = cache[project_code]
    return default if declared is None else _every_day_but(parse_days_off(declared.days_off))


def declare(
    session: Session, actor: Account, project_code: str, *, every_day: bool, days_off: Iterable[dt.date] = ()
) -> OfficeCalendar | None:
    """Record that ``project_code``'s sales office works every day but ``days_off`` (``every_day``),
    or that it follows the statutory calendar again. Only the group admin or the project's
    region's admin may; the change is in the work log."""
    project = session.scalar(select(Project).where(Project.code == project_code))
    if project is None or project.removed_at is not None:
        raise Refused("calendar-project-unknown", project=project_code)
    region = actor.region.code if actor.region is not None else None
    if not (is_group_admin(actor) or (is_region_admin(actor) and region == project.region_code)):
        raise Refused("calendar-not-admin", account=actor.username, project=project_code)
    declared = session.get(OfficeCalendar, project_code)
    old = _words(declared)
    off = ",".join(d.isoformat() for d in sorted(set(days_off)))
    if declared is not None and not every_day:
        session.delete(declared)
        declared = None
    elif every_day:
        if declared is None:
            declared = OfficeCalendar(project_code=project_code, days_off=off, declared_by_id=actor.id)
            session.add(declared)
        else:
            declared.days_off, declared.declared_by_id, declared.declared_at = off, actor.id, now()
    session.info.pop(_CACHE_KEY, None)
    LogWriter(session, actor.id).append(
        "office_calendar", project_code, "update", field="calendar", old=old, new=_words(declared)
    )
    return declared


def _words(declared: OfficeCalendar | None) -> str:
    if declared is None:
        return "statutory"
    return f"every day but {declared.days_off}" if declared.days_off else "every day"
