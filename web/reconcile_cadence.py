"""核对缺漏: which daily, weekly and monthly checks of a project's manual reports are not yet made
(``sync.reconcile.cadence``, as ``salesync cadence``), for one project over a window of dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from sync.kinds.reports import REPORTS
from sync.reconcile.cadence import CADENCES, Cadence, Missing, missing
from web.i18n import tr
from web.params import plausible

CADENCE_MAX_DAYS = 366
_CADENCE_EN = {Cadence.DAY: "Daily", Cadence.WEEK: "Weekly", Cadence.MONTH: "Monthly"}


def cadence_label(cadence: Cadence) -> str:
    return tr(f"每{cadence.label}", _CADENCE_EN[cadence])


@dataclass
class ReportGaps:
    report_id: str
    title: str
    missing: dict[Cadence, list[Missing]]

    def expected(self, cadence: Cadence) -> bool:
        return cadence in CADENCES[self.report_id]


def default_window() -> tuple[dt.date, dt.date]:
    """From the first day of last month to yesterday: last month's monthly check and this month's days."""
    end = dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=1)
    start = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return start, end


def cadence_gaps(session: Session, project: str, start: dt.date, end: dt.date) -> list[ReportGaps]:
    gaps = missing(session, project, start, end)
    out = []
    for report_id, report in REPORTS.items():
        mine = [g for g in gaps if g.report_id == report_id]
        out.append(
            ReportGaps(report_id, report.title, {c: [g for g in mine if g.cadence is c] for c in Cadence})
        )
    return out


def cadence_view(session: Session, projects: list[str]) -> dict[str, Any]:
    """The cadence section: which checks of one project are missing in a window."""
    chosen = request.args.get("gap_project", "")
    project = chosen if chosen in projects else (projects[0] if projects else "")
    start, end = default_window()
    error = None
    try:
        start = plausible(dt.date.fromisoformat(request.args.get("gap_from") or start.isoformat()))
        end = plausible(dt.date.fromisoformat(request.args.get("gap_to") or end.isoformat()))
    except ValueError:
        error = tr("日期格式应为 2026-11-01", "Dates are written like 2026-11-01")
    if error is None and not 0 <= (end - start).days <= CADENCE_MAX_DAYS:
        error = tr(
            "期间须在一年以内，且起不晚于止", "The window must be at most a year, its start before its end"
        )
    gaps = cadence_gaps(session, project, start, end) if project and error is None else []
    return {"project": project, "start": start, "end": end, "error": error, "gaps": gaps}
