"""Reports on deals and money (docs/domain.md §4): 销售明细分析表, 退房明细表, 换房明细表, 销售汇总表,
收退款明细表, 按揭情况列表. Money is what :mod:`sync.domain.ledger` says, so reports and tasks agree."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import (
    AreaTrueUp,
    Building,
    Contract,
    Mortgage,
    PaymentPlan,
    Project,
    Receipt,
    Room,
    SpecialTransaction,
    Subscription,
)
from schema.models.deals import LIVE
from sync.domain import ledger
from sync.kinds.reports import get_report
from sync.reports import Scope, builder

ZERO = Decimal("0.00")


def _frame(report_id: str, rows: Sequence[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=get_report(report_id).fields)


def _project_name(session: Session, code: str) -> str:
    return session.scalar(select(Project.name).where(Project.code == code)) or code


def _buildings(session: Session, project: str) -> dict[str, str]:
    """Building code → name."""
    stmt = select(Building.code, Building.name).where(Building.project_code == project)
    return {code: name for code, name in session.execute(stmt)}


def _rooms(session: Session, codes: set[str]) -> dict[str, Room]:
    if not codes:
        return {}
    return {r.code: r for r in session.scalars(select(Room).where(Room.code.in_(codes)))}


@builder("sales_detail")
def sales_detail(session: Session, scope: Scope) -> pd.DataFrame:
    subs = list(
        session.scalars(
            select(Subscription)
            .where(
                Subscription.project_code == scope.project_code,
                Subscription.date >= scope.period_from,
                Subscription.date <= scope.period_to,
            )
            .order_by(Subscription.date, Subscription.no)
        )
    )
    project = _project_name(session, scope.project_code)
    buildings = _buildings(session, scope.project_code)
    rooms = _rooms(session, {s.room_code for s in subs})
    contracts = {
        c.subscription_id: c
        for c in session.scalars(select(Contract).where(Contract.subscription_id.in_([s.id for s in subs])))
    }
    plans = {c: n for c, n in session.execute(select(PaymentPlan.code, PaymentPlan.name))} if subs else {}
    rows = []
    for sub in subs:
        room = rooms.get(sub.room_code)
        contract = contracts.get(sub.id)
        owed = ledger.balance(session, sub, scope.period_to)
        rows.append(
            (
                project,
                buildings.get(room.building_code, room.building_code) if room else None,
                sub.room_code,
                room.layout if room else None,
                sub.customer_name,
                sub.customer_phone,
                sub.rep_name,
                sub.no,
                sub.date,
                contract.no if contract else None,
                contract.date if contract else None,
                contract.area if contract else sub.area,
                contract.unit_price if contract else sub.unit_price,
                contract.total_price if contract else sub.total_price,
                sub.discount_codes,
                plans.get(sub.plan_code, sub.plan_code),
                sub.mortgage_ratio,
                owed.received,
                owed.outstanding,
                sub.status,
            )
        )
    return _frame("sales_detail", rows)


def _transactions(session: Session, scope: Scope, kind: str) -> list[tuple[SpecialTransaction, Subscription]]:
    stmt = (
        select(SpecialTransaction, Subscription)
        .join(Subscription, Subscription.id == SpecialTransaction.subscription_id)
        .where(
            Subscription.project_code == scope.project_code,
            SpecialTransaction.kind == kind,
            SpecialTransaction.date >= scope.period_from,
            SpecialTransaction.date <= scope.period_to,
        )
        .order_by(SpecialTransaction.date, SpecialTransaction.no)
    )
    return [(t, s) for t, s in session.execute(stmt)]


@builder("cancellations")
def cancellations(session: Session, scope: Scope) -> pd.DataFrame:
    project = _project_name(session, scope.project_code)
    found = _transactions(session, scope, "退房")
    contracts = {
        c.subscription_id: c.no
        for c in session.scalars(
            select(Contract).where(Contract.subscription_id.in_([s.id for _, s in found]))
        )
    }
    net = ledger.received(session, [s.id for _, s in found])
    rows = []
    for tx, sub in found:
        refund = tx.refund_amount or ZERO
        rows.append(
            (
                tx.no,
                tx.date,
                project,
                tx.old_room_code or sub.room_code,
                sub.customer_name,
                sub.no,
                contracts.get(sub.id),
                tx.old_total_price if tx.old_total_price is not None else sub.total_price,
                net.get(sub.id, ZERO) + ledger.refunded(session, sub.id),  # what had been paid in
                refund,
                tx.reason,
                tx.approval_no,
            )
        )
    return _frame("cancellations", rows)


@builder("room_changes")
def room_changes(session: Session, scope: Scope) -> pd.DataFrame:
    rows = []
    for tx, sub in _transactions(session, scope, "换房"):
        old = tx.old_total_price
        new = tx.new_total_price
        rows.append(
            (
                tx.no,
                tx.date,
                sub.customer_name,
                sub.no,
                tx.old_room_code,
                tx.new_room_code,
                old,
                new,
                (new - old) if new is not None and old is not None else None,
                tx.approval_no,
            )
        )
    return _frame("room_changes", rows)


@builder("receipts")
def receipts(session: Session, scope: Scope) -> pd.DataFrame:
    start, end = scope.bounds()
    stmt = (
        select(Receipt, Subscription)
        .join(Subscription, Subscription.id == Receipt.subscription_id)
        .where(
            Receipt.project_code == scope.project_code,
            Receipt.deleted_at.is_(None),
            Receipt.paid_at >= start,
            Receipt.paid_at < end,
        )
        .order_by(Receipt.paid_at, Receipt.no)
    )
    project = _project_name(session, scope.project_code)
    rows = [
        (
            r.no,
            r.paid_at.astimezone(SHANGHAI).date(),
            project,
            sub.room_code,
            sub.customer_name,
            sub.no,
            r.category,
            r.method,
            r.payer,
            r.amount,
            r.reverses_no,
        )
        for r, sub in session.execute(stmt)
    ]
    return _frame("receipts", rows)


@builder("mortgages")
def mortgages(session: Session, scope: Scope) -> pd.DataFrame:
    stmt = (
        select(Mortgage, Subscription)
        .join(Subscription, Subscription.id == Mortgage.subscription_id)
        .where(Subscription.project_code == scope.project_code)
        .order_by(Subscription.no)
    )
    found = session.execute(stmt).all()
    contracts = {
        c.subscription_id: c.no
        for c in session.scalars(
            select(Contract).where(Contract.subscription_id.in_([s.id for _, s in found]))
        )
    }
    rows = []
    for m, sub in found:
        released = m.released_amount or ZERO
        rows.append(
            (
                sub.no,
                contracts.get(sub.id),
                sub.room_code,
                sub.customer_name,
                m.bank,
                m.loan_type,
                m.amount,
                m.status,
                m.submitted_date,
                m.approved_date,
                m.released_date,
                released,
                m.amount - released,
            )
        )
    return _frame("mortgages", rows)


@builder("sales_summary")
def sales_summary(session: Session, scope: Scope) -> pd.DataFrame:
    """Per building: stock, the period's subscriptions, contracts and cancellations, and the
    cumulative contracts and collections up to the end of the period."""
    project = _project_name(session, scope.project_code)
    rooms = list(
        session.scalars(
            select(Room).where(Room.project_code == scope.project_code, Room.removed_at.is_(None))
        )
    )
    building_of = {r.code: r.building_code for r in rooms}
    names = _buildings(session, scope.project_code)
    subs = list(
        session.scalars(
            select(Subscription).where(
                Subscription.project_code == scope.project_code, Subscription.date <= scope.period_to
            )
        )
    )
    contracts = {
        c.subscription_id: c
        for c in session.scalars(
            select(Contract).where(
                Contract.subscription_id.in_([s.id for s in subs]), Contract.date <= scope.period_to
            )
        )
    }
    cancelled = Counter(
        building_of.get(tx.old_room_code or sub.room_code)
        for tx, sub in _transactions(session, scope, "退房")
    )
    collected: dict[int, Decimal] = defaultdict(lambda: ZERO)
    stmt = select(Receipt.subscription_id, Receipt.amount).where(
        Receipt.project_code == scope.project_code,
        Receipt.deleted_at.is_(None),
        Receipt.paid_at < scope.bounds()[1],
        Receipt.category.not_in(ledger.NOT_PRICE),
    )
    for sid, amount in session.execute(stmt):
        collected[sid] += amount

    stats: dict[str, dict[str, Decimal | int]] = defaultdict(lambda: defaultdict(lambda: 0))
    for room in rooms:
        s = stats[room.building_code]
        s["rooms"] += 1
        s["area"] += room.area_gross
        s["value"] += room.total_price
        s["available"] += room.status == "可售"
    in_period = scope.period_from, scope.period_to
    for sub in subs:
        building = building_of.get(sub.room_code)
        if building is None:
            continue
        s = stats[building]
        if in_period[0] <= sub.date <= in_period[1]:
            s["subscribed"] += 1
            s["subscribed_area"] += sub.area
            s["subscribed_amount"] += sub.total_price
        contract = contracts.get(sub.id)
        if contract is not None:
            if in_period[0] <= contract.date <= in_period[1]:
                s["contracted"] += 1
                s["contracted_area"] += contract.area
                s["contracted_amount"] += contract.total_price
            if sub.status in LIVE and (sub.ended_date is None or sub.ended_date > scope.period_to):
                s["contracted_total"] += 1
                s["contracted_amount_total"] += contract.total_price
        s["collected_total"] += collected.get(sub.id, ZERO)
        s["sold"] += sub.status in LIVE
    rows = []
    for building in sorted(stats):
        s = stats[building]
        total = int(s["rooms"])
        rows.append(
            (
                project,
                names.get(building, building),
                total,
                s["area"],
                s["value"],
                s["available"],
                s["subscribed"],
                s["subscribed_area"],
                s["subscribed_amount"],
                s["contracted"],
                s["contracted_area"],
                s["contracted_amount"],
                cancelled.get(building, 0),
                s["contracted_total"],
                s["contracted_amount_total"],
                s["collected_total"],
                (Decimal(int(s["sold"])) / total).quantize(Decimal("0.0001")) if total else None,
            )
        )
    return _frame("sales_summary", rows)


@builder("collections_due")
def collections_due(session: Session, scope: Scope) -> pd.DataFrame:
    """Live deals with money overdue at the end of the period (催款)."""
    subs = list(
        session.scalars(
            select(Subscription)
            .where(
                Subscription.project_code == scope.project_code,
                Subscription.status.in_(LIVE),
                Subscription.date <= scope.period_to,
            )
            .order_by(Subscription.no)
        )
    )
    today = scope.period_to + dt.timedelta(days=1)  # overdue once a due date has passed by the period's end
    rows = []
    for sub in subs:
        owed = ledger.balance(session, sub, today)
        if owed.overdue <= 0:
            continue
        due = [i for i in ledger.schedule(session, sub, owed.received) if i.overdue(today)]
        rows.append(
            (
                sub.no,
                sub.room_code,
                sub.customer_name,
                sub.customer_phone,
                sub.rep_name,
                owed.total,
                owed.received,
                owed.outstanding,
                owed.overdue,
                min(i.due_date for i in due) if due else None,
            )
        )
    return _frame("collections_due", rows)


@builder("true_ups")
def true_ups(session: Session, scope: Scope) -> pd.DataFrame:
    stmt = (
        select(AreaTrueUp, Room)
        .join(Room, Room.code == AreaTrueUp.room_code)
        .where(
            Room.project_code == scope.project_code,
            AreaTrueUp.survey_date >= scope.period_from,
            AreaTrueUp.survey_date <= scope.period_to,
        )
        .order_by(AreaTrueUp.room_code)
    )
    found = session.execute(stmt).all()
    names = {
        s.room_code: s.customer_name
        for s in session.scalars(
            select(Subscription).where(
                Subscription.room_code.in_([t.room_code for t, _ in found]), Subscription.status.in_(LIVE)
            )
        )
    }
    rows = [
        (
            t.room_code,
            names.get(t.room_code),
            t.basis,
            t.contract_area,
            t.measured_area,
            t.error_ratio,
            t.unit_price,
            t.buyer_pays,
            t.developer_bears,
            t.refund,
            t.double_refund,
            t.survey_date,
        )
        for t, _room in found
    ]
    return _frame("true_ups", rows)
