"""The system side of the reports of docs/domain.md §4: one builder per report, a typed frame out.

A builder takes a session and a :class:`Scope` and returns a frame with exactly the report's
fields (``sync.kinds.reports``) as columns — the same shape the manual report has after reading, so
exports and reconciliation treat both sides alike. Adding a report is a declaration in
``sync.kinds.reports`` plus a builder registered here with :func:`builder`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import Project
from schema.registry import Registry, import_submodules
from sync.kinds.reports import ReportSpec, get_report

Builder = Callable[[Session, "Scope"], pd.DataFrame]
BUILDERS: Registry[Builder] = Registry("report builder")


@dataclass(frozen=True)
class Scope:
    project_code: str
    period_from: dt.date
    period_to: dt.date  # inclusive
    at: dt.date | None = None  # the day the figures are as of; the period's end when None

    @property
    def as_of(self) -> dt.date:
        """The day the report's figures stand as of (statuses, money, availability)."""
        return self.at or self.period_to

    def shifted(self, start: dt.date, end: dt.date) -> Scope:
        return Scope(self.project_code, start, end)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as instants: from the first day's midnight to the midnight after the last
        day, in Asia/Shanghai (for stored date-times)."""
        start = dt.datetime.combine(self.period_from, dt.time(), SHANGHAI)
        return start, dt.datetime.combine(self.period_to + dt.timedelta(days=1), dt.time(), SHANGHAI)


class NoBuilder(LookupError):
    """The report is declared but the system cannot build it yet."""


def builder(report_id: str) -> Callable[[Builder], Builder]:
    """Decorator: register the builder of ``report_id``."""
    return BUILDERS.register(report_id)


def build(session: Session, report: ReportSpec | str, scope: Scope) -> pd.DataFrame:
    """The system's report for ``scope``: the report's fields as columns, in the report's order."""
    spec = get_report(report) if isinstance(report, str) else report
    _load()
    if spec.id not in BUILDERS:
        raise NoBuilder(spec.id)
    fn = BUILDERS.get(spec.id)
    frame = fn(session, scope)
    missing = [f for f in spec.fields if f not in frame]
    if missing:
        raise RuntimeError(f"report {spec.id}: builder lacks {missing}")
    return frame[spec.fields].reset_index(drop=True)


@cache
def _load() -> None:
    """Import the builder modules (each registers itself)."""
    import_submodules(__name__, __path__)


def projects_of_region(session: Session, region_code: str) -> list[str]:
    stmt = select(Project.code).where(Project.region_code == region_code, Project.removed_at.is_(None))
    return list(session.scalars(stmt.order_by(Project.code)))


def build_for(
    session: Session,
    report: ReportSpec | str,
    period_from: dt.date,
    period_to: dt.date,
    *,
    project: str | None = None,
    region: str | None = None,
    at: dt.date | None = None,
) -> pd.DataFrame:
    """The report for one project, or for every project of a region one after the other, with
    its figures as of ``at`` (the period's end by default)."""
    spec = get_report(report) if isinstance(report, str) else report
    codes = [project] if project else projects_of_region(session, region or "")
    frames = [build(session, spec, Scope(code, period_from, period_to, at)) for code in codes]
    if not frames:
        return pd.DataFrame(columns=spec.fields)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
