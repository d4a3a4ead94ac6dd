"""Which hand-made reports are missing: the dual-track cadence (docs/domain.md §8).

The seed asks site sales control to check 销售明细分析表, 退房明细表, 换房明细表 and 来电来访明细表
every working day, site finance 收退款明细表 and 按揭情况列表 every working day, and both (with the
sales manager, who adds 销售汇总表) every week and every month. A period counts as checked when a
reconciliation run of that report covers exactly that period for the project.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import ReconciliationRun
from sync.domain.workdays import DEFAULT_CALENDAR, WorkCalendar
from sync.kinds.reports import REPORTS


class Cadence(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def label(self) -> str:
        return {"day": "日", "week": "周", "month": "月"}[self.value]


DAILY = ("sales_detail", "cancellations", "room_changes", "calls_visits", "receipts", "mortgages")
CADENCES: dict[str, tuple[Cadence, ...]] = {
    report: ((Cadence.DAY,) if report in DAILY else ()) + (Cadence.WEEK, Cadence.MONTH) for report in REPORTS
}


@dataclass(frozen=True)
class Missing:
    project_code: str
    report_id: str
    cadence: Cadence
    period_from: dt.date
    period_to: dt.date

    def as_dict(self) -> dict[str, str]:
        return {
            "project": self.project_code,
            "report": self.report_id,
            "title": REPORTS[self.report_id].title,
            "cadence": self.cadence.value,
            "from": self.period_from.isoformat(),
            "to": self.period_to.isoformat(),
        }


def periods(
    cadence: Cadence, start: dt.date, end: dt.date, calendar: WorkCalendar
) -> list[tuple[dt.date, dt.date]]:
    """Complete periods of ``cadence`` that start on or after ``start`` and end by ``end``."""
    out = []
    if cadence is Cadence.DAY:
        day = start
        while day <= end:
            if calendar.is_workday(day):
                out.append((day, day))
            day += dt.timedelta(days=1)
    elif cadence is Cadence.WEEK:
        monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
        while monday + dt.timedelta(days=6) <= end:
            out.append((monday, monday + dt.timedelta(days=6)))
            monday += dt.timedelta(days=7)
    else:
        first = start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        while True:
            nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            last = nxt - dt.timedelta(days=1)
            if last > end:
                break
            out.append((first, last))
            first = nxt
    return out


def missing(
    session: Session,
    project_code: str,
    start: dt.date,
    end: dt.date,
    *,
    reports: tuple[str, ...] | None = None,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
) -> list[Missing]:
    """Every expected (report, period) of the project between ``start`` and ``end`` with no run."""
    done = {
        (r, f, t)
        for r, f, t in session.execute(
            select(
                ReconciliationRun.report_id, ReconciliationRun.period_from, ReconciliationRun.period_to
            ).where(
                ReconciliationRun.project_code == project_code,
                ReconciliationRun.period_to >= start,
                ReconciliationRun.period_from <= end,
            )
        )
    }
    out = []
    for report in reports or tuple(REPORTS):
        for cadence in CADENCES[report]:
            for first, last in periods(cadence, start, end, calendar):
                if (report, first, last) not in done:
                    out.append(Missing(project_code, report, cadence, first, last))
    return out
