"""我的任务 a page at a time: each task kind is a query cut on the server, so a page of an account with
tens of thousands of tasks reads only about a page of rows per kind.

The list is the one :func:`sync.domain.tasks.tasks_for` computes (same tasks, same words, same order:
most working days overdue first, then the earliest due date, the kind, the subject); this module cuts it
without computing all of it.

How the order is kept on the server. Every kind with volume (签约, 问卷, 跟进, 休眠客户) has an *event
date* in the database — the 应签约日期, the deal's date, the customer's last own event, the later of the
last event and the last reassignment — and its due date is a function of that date on one working-day
calendar (the next working day on or after it; N working days after it; N days after it). Each such
function never decreases and never returns a day before its argument. So, per calendar (the statutory
one, or a project's sales office that works every day), ordering by the event date orders by the due
date and by the working days overdue; tasks whose due dates tie but whose event dates differ are settled
by reading, after the first N rows, the few rows whose event date lies between the N-th row's and its due
date, and sorting those in Python. Conditions on the due date (within the horizon, overdue or not)
become conditions on the event date, found by bisecting the monotone function. Each kind's rows per
calendar are read with ``ORDER BY event date, subject LIMIT offset+size``; the streams are merged in
Python and the page is cut from the merge. Counts are ``COUNT`` queries of the same conditions.

催款 and 退款 depend on money allocated to a deal's instalments in due order (the fixed 定金 credited to
the next line, cents rounded on the last ratio line, a true-up's own line), which stays in one place
(:mod:`sync.domain.ledger`). The same rules run in SQL, in whole cents so that SQLite's floating
numbers give the exact figures: window queries over the plan lines of the deals in scope that still
owe (the running count of ratio lines groups each fixed sum with the ratio line it is credited to; the
last ratio line takes the rounding; a running sum in due order against the money received decides
which lines still owe and how much). That query has to read every owing deal's lines, so 催款 is read
once per calendar, only its task rows come back, and only the page's rows become tasks. 退款 is one
comparison per deal. The remaining kinds (signatures, collisions, special transactions, reconciliation) are bounded
by what people did, not by the region's size, and are computed as before.

Search (``q``) looks in the subject, the customer's name and the room; the project filter keeps the
deal tasks of that project (催款, 退款, 签约, 问卷) and leaves out tasks that belong to no project.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import (
    Account,
    AreaTrueUp,
    Customer,
    CustomerEvent,
    DealTermLine,
    OfficeCalendar,
    Questionnaire,
    Reassignment,
    Receipt,
    Subscription,
)
from schema.models.deals import LIVE
from schema.roles import Role
from sync.domain import ledger
from sync.domain.accounts import get_account
from sync.domain.office_calendar import calendar_for
from sync.domain.ownership import DORMANT_DAYS
from sync.domain.task_streams import (
    DUE,
    OVERDUE,
    REACH,
    Computed,
    Lazy,
    Source,
    Stream,
    cents_of,
    date_plus_days,
    last_true,
)
from sync.domain.tasks import (
    CONTROLLERS,
    FOLLOW_UP_DAYS,
    HORIZON,
    QUESTIONNAIRE_DAYS,
    SIGNERS,
    Task,
    _Builder,
    sort_key,
)
from sync.domain.workdays import DEFAULT_CALENDAR, WorkCalendar

__all__ = ["DUE", "OVERDUE", "TaskPage", "TaskQuery", "kind_name", "task_page"]
from validators.messages import MESSAGES, render


def kind_name(kind: str, lang: str = "zh") -> str:
    """A task kind in ``lang`` (the words are in the message catalog)."""
    return render(f"task-kind-{kind}", lang) if f"task-kind-{kind}" in MESSAGES else kind


@dataclass(frozen=True)
class TaskQuery:
    """What a page of 我的任务 asks: a kind, a project, overdue or not yet, a search, the direction
    (``descending``: latest due first) and the cut."""

    kind: str = ""
    project: str = ""
    state: str = ""  # OVERDUE, DUE or "" for both
    q: str = ""
    descending: bool = False
    offset: int = 0
    limit: int = 50


@dataclass
class TaskPage:
    username: str
    today: dt.date
    tasks: list[Task]
    total: int  # tasks under every filter of the query
    overdue: int  # of those, overdue
    counts: dict[str, int] = field(default_factory=dict)  # per kind, under every filter but the kind
    calendar_fallback: list[int] = field(default_factory=list)


class _Pages:
    """The sources of one account's tasks on one day under one query."""

    def __init__(
        self, session: Session, account: Account, today: dt.date, cal: WorkCalendar, query: TaskQuery
    ) -> None:
        self.session, self.account, self.today, self.cal, self.query = session, account, today, cal, query
        self.build = _Builder(session, account, today, cal)
        self.roles = {r for r in Role if r.value in account.role_keys}
        declared = list(
            session.scalars(select(OfficeCalendar.project_code).order_by(OfficeCalendar.project_code))
        )
        # (calendar, condition on a project column) for every calendar the deals follow
        self.groups: list[tuple[WorkCalendar, Callable[[Any], ColumnElement[bool]]]] = [
            (cal, lambda col: col.not_in(declared) if declared else true())
        ]
        for code in declared:
            self.groups.append((calendar_for(session, code, cal), _project_is(code)))

    # -- the scope ----------------------------------------------------------------------------------

    def _deals(self, stmt: Any, own: bool) -> Any:
        stmt = stmt.where(Subscription.status.in_(LIVE))
        if own:
            stmt = stmt.where(Subscription.rep_account_id == self.account.id)
        if self.query.project:
            stmt = stmt.where(Subscription.project_code == self.query.project)
        return self.build._in_region(stmt, Subscription.project_code)

    def _search(self, stmt: Any, *columns: Any) -> Any:
        if not self.query.q:
            return stmt
        text = self.query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return stmt.where(or_(*(c.ilike(f"%{text}%", escape="\\") for c in columns)))

    def _deal_rows(self, own: bool) -> Any:
        stmt = select(
            Subscription.no.label("subject"),
            Subscription.customer_name,
            Subscription.room_code,
        )
        return self._search(
            self._deals(stmt, own), Subscription.no, Subscription.customer_name, Subscription.room_code
        )

    # -- the kinds with volume ------------------------------------------------------------------------

    def contracts(self, own: bool) -> list[Source]:
        out: list[Source] = []
        for cal, in_group in self.groups:
            horizon = cal.add_workdays(self.today, HORIZON)  # a working day: on_or_after(d) ≤ it ⇔ d ≤ it
            stmt = self._deal_rows(own).add_columns(Subscription.sign_due_date.label("event"))
            stmt = stmt.where(
                Subscription.status == "认购",
                Subscription.sign_due_date.is_not(None),
                Subscription.sign_due_date <= horizon,
                in_group(Subscription.project_code),
            )

            def make(row: Any, due: dt.date, overdue: int) -> Task:
                detail = f"{row.customer_name} {row.room_code} 应签约"
                en = f"{row.customer_name} {row.room_code}: contract due"
                return Task("签约", row.subject, detail, due, overdue, None, en)

            out.append(
                Stream(
                    "签约",
                    self.session,
                    self.today,
                    cal,
                    stmt,
                    Subscription.sign_due_date,
                    Subscription.no,
                    cal.on_or_after,
                    make,
                )
            )
        return out

    def questionnaires(self) -> list[Source]:
        out: list[Source] = []
        done = select(Questionnaire.id).where(Questionnaire.subscription_no == Subscription.no).exists()
        for cal, in_group in self.groups:
            stmt = self._deal_rows(True).add_columns(Subscription.date.label("event"))
            stmt = stmt.where(~done, in_group(Subscription.project_code))

            def make(row: Any, due: dt.date, overdue: int) -> Task:
                en = f"{row.customer_name}: buyer questionnaire"
                return Task(
                    "问卷", row.subject, f"{row.customer_name} 成交客户调查问卷", due, overdue, None, en
                )

            def due_of(day: dt.date, cal: WorkCalendar = cal) -> dt.date:
                return cal.add_workdays(day, QUESTIONNAIRE_DAYS)

            out.append(
                Stream(
                    "问卷",
                    self.session,
                    self.today,
                    cal,
                    stmt,
                    Subscription.date,
                    Subscription.no,
                    due_of,
                    make,
                )
            )
        return out

    def _own_last_event(self) -> Any:
        """Each customer's last event entered by its owner (only those keep it from going idle)."""
        return (
            select(CustomerEvent.customer_id, func.max(CustomerEvent.at).label("last"))
            .join(Customer, Customer.id == CustomerEvent.customer_id)
            .where(CustomerEvent.account_id == Customer.owner_id)
            .group_by(CustomerEvent.customer_id)
        )

    def follow_ups(self) -> list[Source]:
        if self.query.project:
            return []
        cal = self.cal

        def due_of(day: dt.date) -> dt.date:
            return cal.on_or_after(day + dt.timedelta(days=FOLLOW_UP_DAYS))

        last = self._own_last_event().where(Customer.owner_id == self.account.id).subquery()
        stmt = select(Customer.phone.label("subject"), Customer.name, last.c.last.label("event")).join(
            last, last.c.customer_id == Customer.id
        )
        stmt = self._search(stmt.where(Customer.owner_id == self.account.id), Customer.phone, Customer.name)
        stream = Stream(
            "跟进",
            self.session,
            self.today,
            cal,
            stmt,
            last.c.last,
            Customer.phone,
            due_of,
            self._follow_up,
            timed=True,
        )
        reached = last_true(lambda d: due_of(d) <= self.today, self.today - REACH, self.today)
        stream.stmt = stmt.where(stream.on_or_before(reached) if reached is not None else false())
        return [stream]

    @staticmethod
    def _follow_up(row: Any, due: dt.date, overdue: int) -> Task:
        en = f"{row.name}: no contact for 5 days or more"
        return Task("跟进", row.subject, f"{row.name} 已 5 天以上未联系", due, overdue, None, en)

    def dormant(self) -> list[Source]:
        """休眠客户 (the rule is ``sync.domain.ownership.Idle``'s): no own event and no reassignment for
        14 days or more, and not in a live deal."""
        if self.query.project:
            return []
        own_last = (
            select(func.max(CustomerEvent.at))
            .where(CustomerEvent.customer_id == Customer.id, CustomerEvent.account_id == Customer.owner_id)
            .scalar_subquery()
        )
        last_moved = select(func.max(Reassignment.at)).where(Reassignment.customer_id == Customer.id)
        buying = (
            select(Subscription.id)
            .where(Subscription.customer_id == Customer.id, Subscription.status.in_(LIVE))
            .exists()
        )
        inner = select(
            Customer.phone.label("subject"),
            Customer.name,
            own_last.label("last"),
            last_moved.scalar_subquery().label("moved"),
        ).where(~buying)
        if self.account.region_id is not None:
            owners = select(Account.id).where(Account.region_id == self.account.region_id)
            inner = inner.where(Customer.owner_id.in_(owners))
        inner = self._search(inner, Customer.phone, Customer.name)
        found = inner.subquery()
        since = case(
            (found.c.last.is_(None), found.c.moved),
            (found.c.moved.is_(None), found.c.last),
            (found.c.moved > found.c.last, found.c.moved),
            else_=found.c.last,
        )
        stmt = select(found.c.subject, found.c.name, found.c.last, since.label("event")).where(
            since.is_not(None)
        )

        def due_of(day: dt.date) -> dt.date:
            return day + dt.timedelta(days=DORMANT_DAYS)

        def make(row: Any, due: dt.date, overdue: int) -> Task:
            day = row.last.astimezone(SHANGHAI).date() if row.last is not None else None
            detail = f"{row.name} 自 {day} 起无客户事件，可重新分配"
            en = f"{row.name}: no customer event since {day}; may be reassigned"
            return Task("休眠客户", row.subject, detail, due, overdue, None, en)

        stream = Stream(
            "休眠客户",
            self.session,
            self.today,
            self.cal,
            stmt,
            since,
            found.c.subject,
            due_of,
            make,
            timed=True,
        )
        stream.stmt = stmt.where(stream.on_or_before(self.today - dt.timedelta(days=DORMANT_DAYS)))
        return [stream]

    # -- money: instalments in SQL, in whole cents ------------------------------------------------------

    def money(self, own: bool, payments: bool, refunds: bool) -> list[Source]:
        """催款 and 退款 of the deals in scope (see the module's docstring)."""
        out: list[Source] = []
        if payments:
            for cal, in_group in self.groups:
                out.append(self._payments(cal, in_group, own))
        if refunds:
            out.append(self._refunds(own))
        return out

    @staticmethod
    def _received(true_up_only: bool = False) -> Any:
        """Per deal (correlated, found by the receipts' deal index) the money of the price received, net
        of 红冲 and refunds, in cents — or of it the true-up's own money."""
        stmt = select(func.coalesce(func.sum(cents_of(Receipt.amount)), 0)).where(
            Receipt.subscription_id == Subscription.id,
            Receipt.deleted_at.is_(None),
            Receipt.category.not_in(ledger.NOT_PRICE),
        )
        if true_up_only:
            stmt = stmt.where(Receipt.category == ledger.TRUE_UP)
        return stmt.scalar_subquery()

    def _lines(self, scope: Any) -> Any:
        """ledger.split and ledger.allocate as window queries: each live plan line of the deals in
        ``scope`` that still owe on their plan, with its amount (a fixed sum credited to the next ratio line, the rounding on the last
        ratio line) and the running total in due order, in cents."""
        line = DealTermLine
        total = cents_of(Subscription.total_price)
        deals = (
            select(
                Subscription.id.label("sid"),
                total.label("total"),
                self._received().label("got"),
                self._received(true_up_only=True).label("settled"),
            )
            .where(Subscription.id.in_(scope))
            .subquery()
        )
        total = deals.c.total
        is_ratio = case((line.ratio.is_not(None), 1), else_=0)
        fixed = case(
            (line.amount.is_(None), 0), (cents_of(line.amount) < total, cents_of(line.amount)), else_=total
        )
        share = case(
            (
                line.ratio.is_not(None),
                (total * cast(func.round(line.ratio * 1_000_000), BigInteger) + 500_000) // 1_000_000,
            ),
            else_=0,
        )
        g = func.sum(is_ratio).over(partition_by=line.subscription_id, order_by=(line.seq, line.id))
        l1 = (
            select(
                line.id,
                deals.c.sid,
                line.seq,
                line.category,
                line.due_days,
                deals.c.total,
                deals.c.got,
                deals.c.settled,
                is_ratio.label("is_ratio"),
                fixed.label("fixed"),
                share.label("share"),
                g.label("g"),
                case((is_ratio == 1, g), else_=g + 1).label("k"),
            )
            .select_from(deals)
            .join(line, line.subscription_id == deals.c.sid)
            .where(line.ended_by_id.is_(None), deals.c.got - deals.c.settled < deals.c.total)  # still owes
            .subquery()
        )
        credit = func.sum(case((l1.c.is_ratio == 0, l1.c.fixed), else_=0)).over(
            partition_by=(l1.c.sid, l1.c.k)
        )
        l2 = select(
            l1,
            case((l1.c.is_ratio == 1, l1.c.share - credit), else_=l1.c.fixed).label("amount"),
            func.max(l1.c.g).over(partition_by=l1.c.sid).label("gmax"),
        ).subquery()
        rest = l2.c.total - func.sum(l2.c.amount).over(partition_by=l2.c.sid)
        last = and_(l2.c.is_ratio == 1, l2.c.g == l2.c.gmax)
        l3 = select(l2, (l2.c.amount + case((last, rest), else_=0)).label("final")).subquery()
        running = func.sum(l3.c.final).over(
            partition_by=l3.c.sid, order_by=(l3.c.due_days, l3.c.seq, l3.c.id), rows=(None, 0)
        )
        return select(l3, running.label("cum")).subquery()

    def _payments(self, cal: WorkCalendar, in_group: Callable[[Any], ColumnElement[bool]], own: bool) -> Lazy:
        """催款 on one calendar: instalments with money owing that are overdue or fall due within the
        horizon (a working day: on_or_after(d) ≤ it ⇔ d ≤ it). The allocation needs every line of every
        deal that owes, so the query runs once and its rows — the tasks only — are ordered in Python."""
        horizon = cal.add_workdays(self.today, HORIZON)
        scope = self._deals(select(Subscription.id), own).where(in_group(Subscription.project_code))
        lines = self._lines(scope)
        settled = self._received(true_up_only=True)
        pool = lines.c.got - lines.c.settled
        plan = (
            select(
                Subscription.no.label("subject"),
                Subscription.customer_name,
                Subscription.room_code,
                lines.c.seq.label("seq"),
                lines.c.category.label("category"),
                date_plus_days(Subscription.date, lines.c.due_days).label("event"),
                case((lines.c.cum - pool < lines.c.final, lines.c.cum - pool), else_=lines.c.final).label(
                    "owed"
                ),
            )
            .join(Subscription, Subscription.id == lines.c.sid)
            .where(lines.c.final > 0, lines.c.cum > pool)
        )
        count_lines = (
            select(func.count(DealTermLine.id))
            .where(DealTermLine.subscription_id == Subscription.id, DealTermLine.ended_by_id.is_(None))
            .scalar_subquery()
        )
        extra = cents_of(AreaTrueUp.amount)
        true_up = (
            select(
                Subscription.no.label("subject"),
                Subscription.customer_name,
                Subscription.room_code,
                (count_lines + 1).label("seq"),
                literal(ledger.TRUE_UP).label("category"),
                AreaTrueUp.survey_date.label("event"),
                (extra - case((settled < 0, 0), (settled < extra, settled), else_=extra)).label("owed"),
            )
            .join(AreaTrueUp, AreaTrueUp.room_code == Subscription.room_code)
            .where(
                Subscription.id.in_(scope),
                Subscription.status == "签约",
                AreaTrueUp.amount.is_not(None),
                extra > 0,
                settled < extra,
            )
        )
        u = union_all(plan, true_up).subquery()
        stmt = select(u).where(u.c.event <= horizon)
        stmt = self._search(stmt, u.c.subject, u.c.customer_name, u.c.room_code)

        def make(row: Any, due: dt.date, overdue: int) -> Task:
            detail = f"{row.customer_name} {row.room_code} 第{row.seq}期{row.category}"
            en = f"{row.customer_name} {row.room_code} instalment {row.seq} ({row.category})"
            return Task("催款", row.subject, detail, due, overdue, Decimal(row.owed) / 100, en)

        rank = sort_key(Task("催款", "", "", None))[2]
        found = []
        for row in self.session.execute(stmt):
            due = cal.on_or_after(row.event)
            late = cal.workdays_between(due, self.today)
            found.append(((-late, due, rank, row.subject, row.seq), row))
        return Lazy("催款", found, make)

    def _refunds(self, own: bool) -> Stream:
        """退款: live deals that received more than they cost (the price and any true-up), due today."""
        extra = case(
            (
                and_(Subscription.status == "签约", AreaTrueUp.amount.is_not(None)),
                cents_of(AreaTrueUp.amount),
            ),
            else_=0,
        )
        credit = self._received() - cents_of(Subscription.total_price) - extra
        stmt = (
            select(
                Subscription.no.label("subject"),
                Subscription.customer_name,
                Subscription.room_code,
                credit.label("credit"),
                literal(self.today, Date).label("event"),
            )
            .outerjoin(AreaTrueUp, AreaTrueUp.room_code == Subscription.room_code)
            .where(credit > 0)
        )
        stmt = self._search(
            self._deals(stmt, own), Subscription.no, Subscription.customer_name, Subscription.room_code
        )

        def make(row: Any, due: dt.date, overdue: int) -> Task:
            detail = f"{row.customer_name} {row.room_code} 应退客户"
            en = f"{row.customer_name} {row.room_code}: money owed back to the buyer"
            return Task("退款", row.subject, detail, due, overdue, Decimal(row.credit) / 100, en)

        return Stream(
            "退款",
            self.session,
            self.today,
            self.cal,
            stmt,
            literal(self.today, Date),
            Subscription.no,
            lambda day: day,
            make,
        )

    # -- the kinds bounded by what people did ------------------------------------------------------------

    def few(self, extra: Iterable[Task]) -> list[Source]:
        build = self.build
        if Role.SALES_CONTROL in self.roles:
            build.closings()
        if Role.FINANCE in self.roles:
            build.specials()
        if Role.SALES_MANAGER in self.roles:
            build.collisions()
        if self.roles & SIGNERS:
            build.signatures()
        if self.roles & CONTROLLERS:
            build.mismatches()
        if Role.GROUP_ADMIN in self.roles:
            build.signing_grants()
        if Role.OPERATOR in self.roles:
            build.rejections()
        tasks = list(build.tasks.values()) + list(extra)
        if self.query.project:
            tasks = []  # these tasks belong to no one project
        if self.query.q:
            needle = self.query.q.lower()
            tasks = [t for t in tasks if needle in t.subject.lower() or needle in t.detail.lower()]
        by_kind: dict[str, list[Task]] = {}
        for task in tasks:
            by_kind.setdefault(task.kind, []).append(task)
        return [Computed(kind, found) for kind, found in by_kind.items()]

    def sources(self, extra: Iterable[Task]) -> list[Source]:
        roles = self.roles
        rep = Role.SALES_REP in roles
        region = bool(roles & {Role.FINANCE, Role.SALES_CONTROL})
        out: list[Source] = []
        if rep or region:
            out += self.money(own=not region, payments=True, refunds=Role.FINANCE in roles)
        if rep or Role.SALES_CONTROL in roles:
            out += self.contracts(own=Role.SALES_CONTROL not in roles)
        if rep:
            out += self.questionnaires()
            out += self.follow_ups()
        if Role.SALES_MANAGER in roles:
            out += self.dormant()
        return out + self.few(extra)


def _project_is(code: str) -> Callable[[Any], ColumnElement[bool]]:
    def condition(column: Any) -> ColumnElement[bool]:
        return column == code  # type: ignore[no-any-return]

    return condition


def task_page(
    session: Session,
    username: str,
    query: TaskQuery = TaskQuery(),
    today: dt.date | None = None,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    extra: Sequence[Task] = (),
) -> TaskPage:
    """One page of ``username``'s tasks on ``today`` (Asia/Shanghai; default: now), with the count of
    each kind. ``extra``: tasks a floor above computes (the controller's missing reconciliation checks),
    merged into the same order."""
    account = get_account(session, username)
    day = today or dt.datetime.now(SHANGHAI).date()
    sources = _Pages(session, account, day, calendar, query).sources(extra)
    counts: dict[str, int] = {}
    for source in sources:
        counts[source.kind] = counts.get(source.kind, 0) + source.count(query.state)
    chosen = [s for s in sources if not query.kind or s.kind == query.kind]
    total = sum(counts.get(kind, 0) for kind in {s.kind for s in chosen})
    overdue = total if query.state == OVERDUE else 0
    if query.state == "":
        overdue = sum(s.count(OVERDUE) for s in chosen)
    need = query.offset + query.limit
    merged = sorted(
        (t for s in chosen for t in s.first(need, query.descending, query.state)),
        key=sort_key,
        reverse=query.descending,
    )
    shown = {k: n for k, n in counts.items() if n}
    return TaskPage(
        username, day, merged[query.offset : need], total, overdue, shown, calendar.fallback_years
    )
