"""Reports about people and their customers: 撞单记录表, 休眠客户表, 录入及时性统计表, 置业顾问工作量统计表."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from schema.base import SHANGHAI
from schema.models import (
    Account,
    Collision,
    Contract,
    Customer,
    CustomerEvent,
    Questionnaire,
    Receipt,
    Subscription,
    WorkbookVersion,
)
from sync.domain.office_calendar import calendar_for
from sync.domain.ownership import idle_customers
from sync.domain.workdays import DEFAULT_CALENDAR
from sync.kinds.reports import get_report
from sync.reports import Scope, builder
from sync.reports.customers import of_project, project_reps

#: a collision's status as the report shows it (``sync.domain.ownership`` settles them)
COLLISION_STATUS = {"open": "待处理", "settled": "维持原归属", "transferred": "已转给录入人"}


def _wall(value: dt.datetime | None) -> dt.datetime | None:
    """A stored instant as Shanghai wall-clock time (what people read in the workbook)."""
    return value.astimezone(SHANGHAI).replace(tzinfo=None) if value is not None else None


def _reps(session: Session, scope: Scope) -> list[Account]:
    stmt = select(Account).where(Account.id.in_(project_reps(scope.project_code))).order_by(Account.username)
    return list(session.scalars(stmt))


@builder("collisions")
def collisions(session: Session, scope: Scope) -> pd.DataFrame:
    start, end = scope.bounds()
    owner, rep = aliased(Account), aliased(Account)
    stmt = (
        select(
            Customer.name,
            Customer.phone,
            owner.display_name,
            Collision.owner_since,
            rep.display_name,
            Collision.detected_at,
            Collision.status,
            Collision.resolution,
        )
        .join(Customer, Customer.id == Collision.customer_id)
        .join(owner, owner.id == Collision.owner_id)
        .join(rep, rep.id == Collision.account_id)
        .where(
            Collision.detected_at >= start,
            Collision.detected_at < end,
            Collision.account_id.in_(project_reps(scope.project_code)),
        )
        .order_by(Collision.detected_at)
    )
    rows = [
        (name, phone, own, _wall(since), who, _wall(at), COLLISION_STATUS.get(status, status), how)
        for name, phone, own, since, who, at, status, how in session.execute(stmt)
    ]
    return pd.DataFrame(rows, columns=get_report("collisions").fields)


@builder("dormant")
def dormant(session: Session, scope: Scope) -> pd.DataFrame:
    """The customers of the project's reps that are dormant on the period's last day, by the rule
    the manager's tasks and the 客户归属 page use (``sync.domain.ownership``), events after it not counted."""
    cutoff = dt.datetime.combine(scope.period_to + dt.timedelta(days=1), dt.time(), SHANGHAI)
    rows = [
        (
            idle.customer.name,
            idle.customer.phone,
            idle.customer.owner.display_name,
            idle.customer.first_contact_date,
            _wall(idle.last_event),
            idle.idle_days(scope.period_to),
        )
        for idle in idle_customers(session, project_reps(scope.project_code), before=cutoff)
        if idle.dormant(scope.period_to)
    ]
    return pd.DataFrame(rows, columns=get_report("dormant").fields)


@builder("timeliness")
def timeliness(session: Session, scope: Scope) -> pd.DataFrame:
    """Per account, what it entered in the period and how much of it arrived after the deadline
    (customers: end of the next working day after first contact; deals and receipts: the same day,
    当日; questionnaires: the 2nd working day after their 填写日期), judged by when the system first
    saw the workbook version. Deals, receipts and questionnaires follow the project's calendar (its
    sales office may work through holidays: ``sync.domain.office_calendar``)."""
    cal = DEFAULT_CALENDAR
    office = calendar_for(session, scope.project_code)
    counts: Counter[tuple[int, str]] = Counter()
    # the rep who first entered the customer, when the system first saw it: a reassignment later
    # moves the owner, never who entered it or when
    stmt_customers = (
        select(WorkbookVersion.account_id, Customer.first_contact_date, WorkbookVersion.seen_at)
        .join(WorkbookVersion, WorkbookVersion.id == Customer.first_version_id)
        .where(
            WorkbookVersion.account_id.in_(project_reps(scope.project_code)),
            Customer.first_contact_date >= scope.period_from,
            Customer.first_contact_date <= scope.period_to,
        )
    )
    for who, first, since in session.execute(stmt_customers):
        counts[who, "customers"] += 1
        counts[who, "customers_late"] += since > cal.entry_deadline(first)
    stmt_subs = (
        select(WorkbookVersion.account_id, Subscription.date, WorkbookVersion.seen_at)
        .join(WorkbookVersion, WorkbookVersion.id == Subscription.version_id)
        .where(
            Subscription.project_code == scope.project_code,
            Subscription.date >= scope.period_from,
            Subscription.date <= scope.period_to,
        )
    )
    for who, day, seen in session.execute(stmt_subs):
        counts[who, "subscriptions"] += 1
        counts[who, "subscriptions_late"] += seen > office.same_day_deadline(day)
    start, end = scope.bounds()
    stmt_receipts = (
        select(WorkbookVersion.account_id, Receipt.paid_at, WorkbookVersion.seen_at)
        .join(WorkbookVersion, WorkbookVersion.id == Receipt.version_id)
        .where(Receipt.project_code == scope.project_code, Receipt.paid_at >= start, Receipt.paid_at < end)
    )
    for who, paid, seen in session.execute(stmt_receipts):
        counts[who, "receipts"] += 1
        counts[who, "receipts_late"] += seen > office.same_day_deadline(paid.astimezone(SHANGHAI).date())
    stmt_questionnaires = (
        select(WorkbookVersion.account_id, Questionnaire.filled_date, WorkbookVersion.seen_at)
        .join(WorkbookVersion, WorkbookVersion.id == Questionnaire.version_id)
        .join(Subscription, Subscription.no == Questionnaire.subscription_no)
        .where(
            Subscription.project_code == scope.project_code,
            Questionnaire.filled_date >= scope.period_from,
            Questionnaire.filled_date <= scope.period_to,
        )
    )
    for who, filled, seen in session.execute(stmt_questionnaires):
        counts[who, "questionnaires"] += 1
        counts[who, "questionnaires_late"] += seen > office.questionnaire_deadline(filled)
    ids = sorted({who for who, _ in counts})
    people = {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(ids)))} if ids else {}
    spec = get_report("timeliness")
    rows = [
        (people[i].username, people[i].display_name, *(counts[i, f] for f in spec.fields[2:]))
        for i in sorted(ids, key=lambda i: people[i].username)
    ]
    return pd.DataFrame(rows, columns=spec.fields)


@builder("workload")
def workload(session: Session, scope: Scope) -> pd.DataFrame:
    start, end = scope.bounds()
    reps = _reps(session, scope)
    ids = [a.id for a in reps]
    counts: Counter[tuple[int, str]] = Counter()
    events = (  # each event counted in the one project its customer belongs to
        select(CustomerEvent.account_id, CustomerEvent.kind, func.count())
        .join(Customer, Customer.id == CustomerEvent.customer_id)
        .where(
            CustomerEvent.account_id.in_(ids),
            CustomerEvent.at >= start,
            CustomerEvent.at < end,
            of_project(session, scope.project_code),
        )
        .group_by(CustomerEvent.account_id, CustomerEvent.kind)
    )
    for who, kind, n in session.execute(events):
        bucket = (
            "calls"
            if kind in ("首次来电", "来电")
            else "visits"
            if kind in ("首次来访", "来访")
            else "follow_ups"
        )
        counts[who, bucket] += n
    new = (  # new customers: those the rep entered first (a reassigned customer is nobody's new one)
        select(WorkbookVersion.account_id, func.count())
        .join(Customer, Customer.first_version_id == WorkbookVersion.id)
        .where(
            WorkbookVersion.account_id.in_(ids),
            WorkbookVersion.seen_at >= start,
            WorkbookVersion.seen_at < end,
            of_project(session, scope.project_code, WorkbookVersion.account_id),
        )
        .group_by(WorkbookVersion.account_id)
    )
    for who, n in session.execute(new):
        counts[who, "new_customers"] += n
    deals = select(Subscription.rep_account_id, Subscription.id, Subscription.date).where(
        Subscription.project_code == scope.project_code,
        Subscription.date >= scope.period_from,
        Subscription.date <= scope.period_to,
    )
    for rep_id, _, _ in session.execute(deals):
        if rep_id is not None:
            counts[rep_id, "subscriptions"] += 1
    signed = (
        select(Subscription.rep_account_id)
        .join(Contract, Contract.subscription_id == Subscription.id)
        .where(
            Subscription.project_code == scope.project_code,
            Contract.date >= scope.period_from,
            Contract.date <= scope.period_to,
        )
    )
    for (rep_id,) in session.execute(signed):
        if rep_id is not None:
            counts[rep_id, "contracts"] += 1
    spec = get_report("workload")
    rows = [(a.username, a.display_name, *(counts[a.id, f] for f in spec.fields[2:])) for a in reps]
    return pd.DataFrame(rows, columns=spec.fields)
