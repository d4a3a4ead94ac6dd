"""What the 双轨对账 pages read: the runs a user may see (their region's projects, or every region
for the group-wide roles), each run's counts, and a run's mismatches a page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import abort
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from schema.models import Account, Project, ReconciliationItem, ReconciliationRun
from schema.spec import ColType
from sync.kinds.reports import REPORTS, get_report
from sync.reconcile.compare import Difference
from web.auth import PortalUser
from web.i18n import tr
from web.listing import Listing, Page, contains, paged
from web.scope import sees_all

RUNS_PER_PAGE = 50
ITEMS_PER_PAGE = 200

_KIND_EN = {
    Difference.ONLY_MANUAL: "Only in the manual report",
    Difference.ONLY_SYSTEM: "Only in the system",
    Difference.CELL: "Differing cell",
    Difference.DUPLICATE: "Repeated row",
}
_REASON_EN = {
    "录入延迟": "Entry delay",
    "手工错误": "Manual error",
    "系统错误": "System error",
    "其他": "Other",
}


def kind_label(difference: str) -> str:
    kind = Difference(difference)
    return tr(kind.label, _KIND_EN[kind])


def reason_label(reason: str) -> str:
    return tr(reason, _REASON_EN.get(reason, reason))


def visible_runs(viewer: PortalUser) -> Select[ReconciliationRun]:
    stmt = select(ReconciliationRun)
    if sees_all(viewer):
        return stmt
    if viewer.region_code is None:
        return stmt.where(false())
    stmt = stmt.join(Project, Project.code == ReconciliationRun.project_code).where(
        Project.region_code == viewer.region_code
    )
    if viewer.projects is not None:
        stmt = stmt.where(Project.code.in_(viewer.projects))
    return stmt


def find_run(session: Session, viewer: PortalUser, run_id: int) -> ReconciliationRun:
    """The run, if the viewer may see it; otherwise 404 (another region's run does not exist for them)."""
    run = session.scalar(visible_runs(viewer).where(ReconciliationRun.id == run_id))
    if run is None:
        abort(404)
    return run


def account_name(session: Session, account_id: int | None) -> str:
    found = session.get(Account, account_id) if account_id is not None else None
    return f"{found.display_name}（{found.username}）" if found else ""


# -- the list of runs -----------------------------------------------------------------------------


def _figures(report: Any, total: dict[str, Any]) -> dict[str, Any]:
    """A totals row as people read it: a count as a whole number (41, not 41.00), an amount or an
    area with its two decimals and thousands separators."""
    try:
        integer = report.column(total.get("field", "")).type is ColType.INTEGER
    except KeyError:
        integer = False
    shown = dict(total)
    for side in ("manual", "system", "difference"):
        try:
            value = Decimal(str(total[side]))
        except (KeyError, ArithmeticError, ValueError):
            continue
        shown[side] = f"{value:,.0f}" if integer else f"{value:,.2f}"
    return shown


@dataclass
class RunRow:
    run: ReconciliationRun
    who: str
    counts: dict[str, int] = field(default_factory=dict)
    explained: int = 0

    @property
    def title(self) -> str:
        return get_report(self.run.report_id).title

    @property
    def unexplained(self) -> int:
        return sum(self.counts.values()) - self.explained

    @property
    def totals(self) -> list[tuple[dict[str, Any], bool]]:
        """Each totals row, and whether the two sides differ."""
        report = get_report(self.run.report_id)
        return [(_figures(report, t), Decimal(str(t["difference"])) != 0) for t in self.run.totals]

    @property
    def totals_differ(self) -> bool:
        return any(differs for _total, differs in self.totals)

    @property
    def status(self) -> tuple[str, str]:
        """(css class, words)."""
        if not self.counts and not self.totals_differ:
            return "success", tr("一致", "Agrees")
        if self.unexplained:
            return "error", tr(f"{self.unexplained} 项待说明", f"{self.unexplained} to explain")
        if self.counts:
            return "success", tr("差异已全部说明", "All explained")
        return "warning", tr("仅合计不一致", "Totals differ")


def counts_by_run(session: Session, run_ids: list[int]) -> dict[int, tuple[dict[str, int], int]]:
    """Per run: mismatches by kind, and how many are explained."""
    out: dict[int, tuple[dict[str, int], int]] = {i: ({}, 0) for i in run_ids}
    if not run_ids:
        return out
    stmt = (
        select(
            ReconciliationItem.run_id,
            ReconciliationItem.difference,
            func.count(),
            func.count(ReconciliationItem.explained_at),
        )
        .where(ReconciliationItem.run_id.in_(run_ids))
        .group_by(ReconciliationItem.run_id, ReconciliationItem.difference)
    )
    for run_id, difference, total, explained in session.execute(stmt):
        counts, done = out[run_id]
        counts[difference] = total
        out[run_id] = (counts, done + explained)
    return out


#: the sortable columns of the runs list (newest first unless asked otherwise)
RUN_ORDER = {
    "at": ReconciliationRun.at,
    "period": ReconciliationRun.period_from,
    "report": ReconciliationRun.report_id,
    "project": ReconciliationRun.project_code,
    "id": ReconciliationRun.id,
}
RUN_FILTERS = ("project", "report", "account", "from", "to", "open")


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def run_rows(session: Session, viewer: PortalUser, listing: Listing) -> Page[RunRow]:
    """One page of the runs the viewer sees, filtered (project, report, who ran it, the period
    overlapping ``from``–``to``, only runs with mismatches still to explain) and searched (project,
    report or who), counted and cut in SQL."""
    stmt = (
        visible_runs(viewer)
        .add_columns(Account.display_name, Account.username)
        .join(Account, Account.id == ReconciliationRun.account_id)
    )
    if listing.get("project"):
        stmt = stmt.where(ReconciliationRun.project_code == listing.get("project"))
    if listing.get("report"):
        stmt = stmt.where(ReconciliationRun.report_id == listing.get("report"))
    if listing.get("account"):
        stmt = stmt.where(Account.username == listing.get("account"))
    if start := _day(listing.get("from")):
        stmt = stmt.where(ReconciliationRun.period_to >= start)
    if end := _day(listing.get("to")):
        stmt = stmt.where(ReconciliationRun.period_from <= end)
    if listing.get("open"):
        stmt = stmt.where(
            select(ReconciliationItem.id)
            .where(
                ReconciliationItem.run_id == ReconciliationRun.id, ReconciliationItem.explained_at.is_(None)
            )
            .exists()
        )
    if listing.q:  # a project, who ran it, or a report by its title
        like = contains(listing.q)
        columns = (ReconciliationRun.project_code, Account.username, Account.display_name)
        found: list[Any] = [c.ilike(like, escape="\\") for c in columns]
        titled = [rid for rid, spec in REPORTS.items() if listing.q.lower() in spec.title.lower()]
        if titled:
            found.append(ReconciliationRun.report_id.in_(titled))
        stmt = stmt.where(or_(*found))
    page = paged(session, stmt, listing, RUN_ORDER)
    rows = [RunRow(run, f"{name}（{username}）") for run, name, username in page.items]
    counts = counts_by_run(session, [r.run.id for r in rows])
    for row in rows:
        row.counts, row.explained = counts[row.run.id]
    return Page(rows, page.total, listing)


def run_accounts(session: Session, viewer: PortalUser) -> list[tuple[str, str]]:
    """Who ran the runs the viewer sees (username, name): the choices of the list's filter."""
    ran = visible_runs(viewer).with_only_columns(ReconciliationRun.account_id)
    found = session.execute(
        select(Account.username, Account.display_name).where(Account.id.in_(ran)).order_by(Account.username)
    )
    return [(username, name) for username, name in found]


# -- one run --------------------------------------------------------------------------------------


def item_filter(run: ReconciliationRun, kind: str | None, unexplained: bool, q: str = "") -> list[Any]:
    """The conditions of a run's filtered mismatches (a kind, unexplained only, a key or column containing
    ``q``): one list for the page and for a bulk explanation of everything it matches."""
    where: list[Any] = [ReconciliationItem.run_id == run.id]
    if kind:
        where.append(ReconciliationItem.difference == kind)
    if unexplained:
        where.append(ReconciliationItem.explained_at.is_(None))
    if q:
        like = contains(q)
        where.append(
            or_(
                ReconciliationItem.key.ilike(like, escape="\\"),
                ReconciliationItem.header.ilike(like, escape="\\"),
            )
        )
    return where


def items_page(
    session: Session, run: ReconciliationRun, kind: str | None, unexplained: bool, page: int, q: str = ""
) -> tuple[list[ReconciliationItem], int]:
    """The run's mismatches (in the comparison's order) filtered, one page, and how many match."""
    where = item_filter(run, kind, unexplained, q)
    total = session.scalar(select(func.count()).select_from(ReconciliationItem).where(*where)) or 0
    items = session.scalars(
        select(ReconciliationItem)
        .where(*where)
        .order_by(ReconciliationItem.id)
        .offset((page - 1) * ITEMS_PER_PAGE)
        .limit(ITEMS_PER_PAGE)
    )
    return list(items), total


def explainers(session: Session, items: list[ReconciliationItem]) -> dict[int, str]:
    ids = {i.explained_by_id for i in items if i.explained_by_id is not None}
    if not ids:
        return {}
    found = session.execute(
        select(Account.id, Account.display_name, Account.username).where(Account.id.in_(ids))
    )
    return {i: f"{name}（{username}）" for i, name, username in found}
