"""Scheduled reports and the controllers' cadence reminders.

The seven reports of DOMAIN §4 for the day, week or month that just closed are written as workbooks
into each manager's and controller's personal folder, ``<drive>/<region>/<username>/报表/<cadence>/<period>/``
(the watcher never ingests that folder), one per report and project in the account's scope, and the
account gets a message listing them (e-mail channels carry the files). The cadence reminder tells a
controller each working morning which hand-made reports of the closed periods are not reconciled.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Account, Project, Region
from schema.roles import Role
from sync.domain.folders import REPORTS_FOLDER, personal_folder
from sync.domain.workdays import WorkCalendar
from sync.kinds.reports import REPORTS
from sync.outbox.messages import Poster, post
from sync.outbox.settings import NotifySettings
from sync.pipeline.feedback import replace_atomically
from sync.reconcile.cadence import Cadence, missing
from sync.reports import build_for
from sync.reports.export import report_workbook

READERS = frozenset(
    {Role.SALES_MANAGER, Role.SENIOR_MANAGER, Role.REGION_GM, Role.SALES_CONTROL, Role.FINANCE}
)
TITLES = {Cadence.DAY: ("日", "日报"), Cadence.WEEK: ("周", "周报"), Cadence.MONTH: ("月", "月报")}
#: who checks which hand-made report (the seed: 销控 four daily, finance two daily, the manager 销售汇总表)
CHECKS: dict[Role, tuple[str, ...]] = {
    Role.SALES_CONTROL: ("sales_detail", "cancellations", "room_changes", "calls_visits"),
    Role.FINANCE: ("receipts", "mortgages"),
    Role.SALES_MANAGER: ("sales_summary",),
}


def closed_period(cadence: Cadence, today: dt.date) -> tuple[dt.date, dt.date]:
    """The day, week (Monday–Sunday) or month that closed most recently before ``today``."""
    if cadence is Cadence.DAY:
        day = today - dt.timedelta(days=1)
        return day, day
    if cadence is Cadence.WEEK:
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return monday, monday + dt.timedelta(days=6)
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def period_label(cadence: Cadence, start: dt.date) -> str:
    if cadence is Cadence.DAY:
        return start.isoformat()
    if cadence is Cadence.WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m")


def _scope(session: Session, account: Account, roles: frozenset[Role]) -> list[str]:
    """The projects whose reports the account reads: its role's project, else its region's."""
    limited = {r.project_code for r in account.roles if r.project_code and Role(r.role) in roles}
    if limited:
        return sorted(limited)
    if account.region_id is None:
        return []
    region = session.get_one(Region, account.region_id)
    return list(
        session.scalars(select(Project.code).where(Project.region_code == region.code).order_by(Project.code))
    )


def _held(account: Account, wanted: frozenset[Role]) -> frozenset[Role]:
    return frozenset(Role(k) for k in account.role_keys if k in {r.value for r in wanted})


def write_reports(
    session: Session,
    drive: Path,
    cadence: Cadence,
    today: dt.date,
    settings: NotifySettings,
    lang: str,
    poster: Poster = post,
) -> int:
    """Write the closed period's reports for every reader and post them a message; messages posted."""
    start, end = closed_period(cadence, today)
    label = period_label(cadence, start)
    built: dict[tuple[str, str], bytes] = {}
    posted = 0
    for account in session.scalars(select(Account).where(Account.active).order_by(Account.id)):
        roles = _held(account, READERS)
        if not roles or account.region is None:
            continue
        projects = _scope(session, account, roles)
        if not projects:
            continue
        folder = (
            personal_folder(drive, account.region.code, account.username)
            / REPORTS_FOLDER
            / TITLES[cadence][1]
            / label
        )
        files = []
        for project in projects:
            for spec in REPORTS.values():
                if (spec.id, project) not in built:
                    frame = build_for(session, spec, start, end, project=project)
                    built[(spec.id, project)] = report_workbook(
                        spec, frame, f"项目 {project}，{start} 至 {end}"
                    )
                path = folder / f"{project}-{spec.title}.xlsx"
                path.parent.mkdir(parents=True, exist_ok=True)
                replace_atomically(path, built[(spec.id, project)])
                files.append(path)
        posted += poster(
            session,
            account,
            "report",
            f"report:{cadence.value}:{label}:{account.id}",
            settings.link("/reports/"),
            lang=lang,
            attachments=files,
            period_title=TITLES[cadence][0],
            period=label,
            scope="、".join(projects),
            folder=str(folder),
            files="\n".join(f"- {p.name}" for p in files),
        )
    return posted


def remind_cadence(
    session: Session,
    today: dt.date,
    calendar: WorkCalendar,
    settings: NotifySettings,
    lang: str,
    poster: Poster = post,
) -> int:
    """Tell each controller which reconciliations of the closed periods are missing; messages posted."""
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # the previous month's first day
    end = today - dt.timedelta(days=1)
    last_workday = today - dt.timedelta(days=1)
    while not calendar.is_workday(last_workday):
        last_workday -= dt.timedelta(days=1)
    latest = {  # the period of each cadence that closed last: what the reminder is about
        Cadence.DAY: (last_workday, last_workday),
        Cadence.WEEK: closed_period(Cadence.WEEK, today),
        Cadence.MONTH: closed_period(Cadence.MONTH, today),
    }
    posted = 0
    for account in session.scalars(select(Account).where(Account.active).order_by(Account.id)):
        roles = _held(account, frozenset(CHECKS))
        if not roles:
            continue
        reports = tuple(r for role in sorted(roles) for r in CHECKS[role])
        gaps = [
            m
            for project in _scope(session, account, roles)
            for m in missing(session, project, first, end, reports=reports, calendar=calendar)
            if (m.period_from, m.period_to) == latest[m.cadence]
        ]
        if not gaps:
            continue
        lines = [
            f"- {m.project_code} {REPORTS[m.report_id].title}（{m.cadence.label}：{_period_words(m.cadence, m.period_from, m.period_to)}）"
            for m in gaps[:15]
        ]
        if len(gaps) > 15:
            lines.append(f"- …（另 {len(gaps) - 15} 项）")
        posted += poster(
            session,
            account,
            "cadence",
            f"cadence:{today.isoformat()}:{account.id}",
            settings.link("/reconcile/"),
            lang=lang,
            missing=len(gaps),
            project="、".join(sorted({m.project_code for m in gaps})),
            lines="\n".join(lines),
        )
    return posted


def _period_words(cadence: Cadence, start: dt.date, end: dt.date) -> str:
    if cadence is Cadence.WEEK:
        return f"第 {start.isocalendar()[1]} 周（{start} 至 {end}）"
    if cadence is Cadence.MONTH:
        return start.strftime("%Y 年 %m 月")
    return start.isoformat()
