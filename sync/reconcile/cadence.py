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

from schema.models import Project, ReconciliationRun
from schema.roles import Capability
from sync.domain.accounts import get_account
from sync.domain.tasks import Task
from sync.domain.workdays import DEFAULT_CALENDAR, WorkCalendar
from sync.kinds.reports import REPORTS


class Cadence(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def label(self) -> str:
        return {"day": "日", "week": "周", "month": "月"}[self.value]


ADVERB = {Cadence.DAY: "daily", Cadence.WEEK: "weekly", Cadence.MONTH: "monthly"}
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


def cadence_tasks(
    session: Session,
    username: str,
    today: dt.date,
    *,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
) -> list[Task]:
    """对账缺失: for a controller, one task per project, report and cadence with checks missing from the
    first day of last month to yesterday — the same window the 双轨对账 page shows — due one working day
    after the earliest missing period."""
    account = get_account(session, username)
    if not account.can(Capability.RECONCILE):
        return []
    projects = select(Project.code).order_by(Project.code)
    if account.region is not None:
        projects = projects.where(Project.region_code == account.region.code)
    end = today - dt.timedelta(days=1)
    start = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    grouped: dict[tuple[str, str, Cadence], list[Missing]] = {}
    for code in session.scalars(projects):
        for gap in missing(session, code, start, end, calendar=calendar):
            grouped.setdefault((gap.project_code, gap.report_id, gap.cadence), []).append(gap)
    tasks = []
    for (project, report, cadence), gaps in grouped.items():
        first = min(g.period_to for g in gaps)
        due = calendar.add_workdays(first, 1)
        detail = (
            f"{REPORTS[report].title}（{project}）缺 {len(gaps)} 次每{cadence.label}对账，"
            f"最早 {min(g.period_from for g in gaps).isoformat()}"
        )
        overdue = calendar.workdays_between(due, today)
        en = (
            f"{REPORTS[report].title} ({project}): {len(gaps)} {ADVERB[cadence]} checks missing, "
            f"the first {min(g.period_from for g in gaps).isoformat()}"
        )
        tasks.append(
            Task("对账缺失", f"{project} {REPORTS[report].title}", detail, due, overdue, detail_en=en)
        )
    return tasks
