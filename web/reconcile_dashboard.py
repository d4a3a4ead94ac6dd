"""The period's dashboard on 双轨对账: per report, how many of the latest checks agree (no mismatch), and
the mismatches still open by kind, and those explained by reason — read with aggregates over the runs the
viewer sees, for the month chosen (default: this month)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import ReconciliationItem, ReconciliationRun
from sync.kinds.reports import REPORTS
from web.auth import PortalUser
from web.reconcile_views import visible_runs


@dataclass(frozen=True)
class ReportRate:
    report_id: str
    title: str
    runs: int
    agreeing: int

    @property
    def rate(self) -> float:
        return self.agreeing / self.runs if self.runs else 0.0


@dataclass(frozen=True)
class Dashboard:
    month: dt.date  # the first day of the month shown
    rates: list[ReportRate]
    open_by_kind: dict[str, int]
    explained_by_reason: dict[str, int]


def month_of(text: str | None) -> dt.date:
    """The month asked for (``2026-11``), else this month in Beijing."""
    try:
        return dt.date.fromisoformat(f"{text}-01") if text else _this_month()
    except ValueError:
        return _this_month()


def _this_month() -> dt.date:
    return dt.datetime.now(SHANGHAI).date().replace(day=1)


def dashboard(session: Session, viewer: PortalUser, month: dt.date) -> Dashboard:
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    runs = (
        visible_runs(viewer)
        .where(ReconciliationRun.period_from >= month, ReconciliationRun.period_from < end)
        .with_only_columns(
            ReconciliationRun.id, ReconciliationRun.report_id, ReconciliationRun.mismatch_count
        )
        .subquery()
    )
    rates = [
        ReportRate(
            report_id, REPORTS[report_id].title if report_id in REPORTS else report_id, int(n), int(ok or 0)
        )
        for report_id, n, ok in session.execute(
            select(runs.c.report_id, func.count(), func.sum(case((runs.c.mismatch_count == 0, 1), else_=0)))
            .group_by(runs.c.report_id)
            .order_by(runs.c.report_id)
        )
    ]
    in_month = ReconciliationItem.run_id.in_(select(runs.c.id))
    open_by_kind = {
        kind: int(n)
        for kind, n in session.execute(
            select(ReconciliationItem.difference, func.count())
            .where(in_month, ReconciliationItem.explained_at.is_(None))
            .group_by(ReconciliationItem.difference)
        )
    }
    explained = {
        (reason or ""): int(n)
        for reason, n in session.execute(
            select(ReconciliationItem.explanation, func.count())
            .where(in_month, ReconciliationItem.explained_at.is_not(None))
            .group_by(ReconciliationItem.explanation)
        )
    }
    return Dashboard(month, rates, open_by_kind, explained)
