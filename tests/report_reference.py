"""The reports on deals and money as they were computed before the set-based builders: one Python
object per deal. Kept only as the tests' reference (tests/test_reports_set_based.py compares).

Reports on deals and money (docs/domain.md §4): 销售明细分析表, 退房明细表, 换房明细表, 销售汇总表,
收退款明细表, 按揭情况列表. Money is what :mod:`sync.domain.ledger` says, so reports and tasks agree."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from schema.base import SHANGHAI
from schema.models import (
    AreaTrueUp,
    Building,
    Contract,
    Mortgage,
    MortgageStatusChange,
    PaymentPlan,
    Project,
    Receipt,
    Room,
    SpecialTransaction,
    Subscription,
)
from schema.models.deals import LIVE
from sync.domain import asof, ledger
from sync.domain import rooms as states
from sync.kinds.reports import get_report
from sync.reports import Scope
from sync.reports.board import Cell, _money, _tail

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


def sales_detail(session: Session, scope: Scope) -> pd.DataFrame:
    """The period's subscriptions as the books stood at the scope's day: a deal cancelled later
    is still 认购 or 签约 here, with the money it had received by then."""
    deals = [d for d in asof.deals_at(session, scope.project_code, scope.as_of, since=scope.period_from)]
    deals = [d for d in deals if d.date <= scope.period_to]
    project = _project_name(session, scope.project_code)
    buildings = _buildings(session, scope.project_code)
    rooms = _rooms(session, {d.room_code for d in deals})
    plans = {c: n for c, n in session.execute(select(PaymentPlan.code, PaymentPlan.name))} if deals else {}
    rows = []
    for deal in deals:
        room = rooms.get(deal.room_code)
        contracted = deal.contract_no is not None
        rows.append(
            (
                project,
                buildings.get(room.building_code, room.building_code) if room else None,
                deal.room_code,
                room.layout if room else None,
                deal.customer_name,
                deal.customer_phone,
                deal.rep_name,
                deal.no,
                deal.date,
                deal.contract_no,
                deal.contract_date,
                deal.contract_area if contracted else deal.area,
                deal.contract_unit_price if contracted else deal.unit_price,
                deal.contract_total if contracted else deal.total_price,
                deal.discount_codes,
                plans.get(deal.plan_code, deal.plan_code),
                deal.mortgage_ratio,
                deal.received,
                deal.outstanding,
                deal.status,
            )
        )
    return _frame("sales_detail", rows)


def _transactions(session: Session, scope: Scope, kind: str) -> list[tuple[SpecialTransaction, Subscription]]:
    """The period's transactions of ``kind`` recorded by the scope's day... dated in the period."""
    stmt = (
        select(SpecialTransaction, Subscription)
        .join(Subscription, Subscription.id == SpecialTransaction.subscription_id)
        .where(
            Subscription.project_code == scope.project_code,
            SpecialTransaction.kind == kind,
            SpecialTransaction.date >= scope.period_from,
            SpecialTransaction.date <= min(scope.period_to, scope.as_of),
        )
        .order_by(SpecialTransaction.date, SpecialTransaction.no)
    )
    return [(t, s) for t, s in session.execute(stmt)]


def cancellations(session: Session, scope: Scope) -> pd.DataFrame:
    project = _project_name(session, scope.project_code)
    found = _transactions(session, scope, "退房")
    contracts = {
        c.subscription_id: c.no
        for c in session.scalars(
            select(Contract).where(Contract.subscription_id.in_([s.id for _, s in found]))
        )
    }
    paid_in = _paid_in(session, scope)
    rows = []
    for tx, sub in found:
        rows.append(
            (
                tx.no,
                tx.date,
                project,
                tx.old_room_code or sub.room_code,
                tx.old_customer_name or sub.customer_name,
                sub.no,
                contracts.get(sub.id),
                tx.old_total_price if tx.old_total_price is not None else sub.total_price,
                paid_in.get(sub.id, ZERO),
                tx.refund_amount or ZERO,
                tx.reason,
                tx.approval_no,
            )
        )
    return _frame("cancellations", rows)


def _paid_in(session: Session, scope: Scope) -> dict[int, Decimal]:
    """Deal id → the money of the price paid in as of the scope's day, refunds left out."""
    counted = (
        asof.counted_receipts(scope.project_code, scope.as_of)
        .where(Receipt.category.not_in((*ledger.NOT_PRICE, "退款")))
        .subquery()
    )
    stmt = select(counted.c.subscription_id, func.sum(counted.c.amount)).group_by(counted.c.subscription_id)
    return {sid: Decimal(total) for sid, total in session.execute(stmt)}


def room_changes(session: Session, scope: Scope) -> pd.DataFrame:
    rows = []
    for tx, sub in _transactions(session, scope, "换房"):
        old = tx.old_total_price
        new = tx.new_total_price
        rows.append(
            (
                tx.no,
                tx.date,
                tx.old_customer_name or sub.customer_name,
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


def receipts(session: Session, scope: Scope) -> pd.DataFrame:
    """The period's receipts as they stood at the scope's day: a receipt deleted later is still
    listed; one dated in the period but entered later is listed (a late entry)."""
    start, end = scope.bounds()
    counted = asof.counted_receipts(scope.project_code, scope.as_of).subquery()
    r = aliased(Receipt, counted)
    stmt = (
        select(r, Subscription)
        .join(Subscription, Subscription.id == r.subscription_id)
        .where(r.paid_at >= start, r.paid_at < end)
        .order_by(r.paid_at, r.no)
    )
    project = _project_name(session, scope.project_code)
    deals = {d.id: d for d in asof.deals_at(session, scope.project_code, scope.as_of)}
    rows = []
    for receipt, sub in session.execute(stmt):
        deal = deals.get(sub.id)
        rows.append(
            (
                receipt.no,
                receipt.paid_at.astimezone(SHANGHAI).date(),
                project,
                deal.room_code if deal else sub.room_code,
                deal.customer_name if deal else sub.customer_name,
                sub.no,
                receipt.category,
                receipt.method,
                receipt.payer,
                receipt.amount,
                receipt.reverses_no,
            )
        )
    return _frame("receipts", rows)


def mortgages(session: Session, scope: Scope) -> pd.DataFrame:
    """Loans of the deals made by the scope's day: the 办理状态 recorded by the end of that day,
    and the amount released on or before it."""
    day = scope.as_of
    end = asof.end_of(day)
    ranked = (
        select(
            MortgageStatusChange.mortgage_id,
            MortgageStatusChange.to_status,
            func.row_number()
            .over(
                partition_by=MortgageStatusChange.mortgage_id,
                order_by=(MortgageStatusChange.at.desc(), MortgageStatusChange.id.desc()),
            )
            .label("rank"),
        )
        .where(MortgageStatusChange.at < end)
        .subquery()
    )
    stmt = (
        select(Mortgage, Subscription, ranked.c.to_status)
        .join(Subscription, Subscription.id == Mortgage.subscription_id)
        .outerjoin(ranked, and_(ranked.c.mortgage_id == Mortgage.id, ranked.c.rank == 1))
        .where(Subscription.project_code == scope.project_code, Subscription.date <= day)
        .order_by(Subscription.no)
    )
    found = session.execute(stmt).all()
    deals = {d.id: d for d in asof.deals_at(session, scope.project_code, day)}
    rows = []
    for m, sub, status in found:
        deal = deals.get(sub.id)
        released_then = m.released_date is not None and m.released_date <= day
        released = (m.released_amount or ZERO) if released_then else ZERO
        rows.append(
            (
                sub.no,
                deal.contract_no if deal else None,
                deal.room_code if deal else sub.room_code,
                deal.customer_name if deal else sub.customer_name,
                m.bank,
                m.loan_type,
                m.amount,
                status or m.status,
                m.submitted_date if m.submitted_date and m.submitted_date <= day else None,
                m.approved_date if m.approved_date and m.approved_date <= day else None,
                m.released_date if released_then else None,
                released,
                m.amount - released,
            )
        )
    return _frame("mortgages", rows)


def sales_summary(session: Session, scope: Scope) -> pd.DataFrame:
    """Per building, as the books stood at the scope's day: the stock and what was 可售 then, the
    period's subscriptions, contracts and cancellations (a deal cancelled later still counts in
    the period it was made, with its figures of then), the contracts still standing and the money
    collected by that day."""
    day = scope.as_of
    project = _project_name(session, scope.project_code)
    status_of = asof.room_statuses(session, scope.project_code, day)
    rooms = [r for r in session.scalars(select(Room).where(Room.project_code == scope.project_code))]
    building_of = {r.code: r.building_code for r in rooms}
    names = _buildings(session, scope.project_code)
    deals = asof.deals_at(session, scope.project_code, day)
    cancelled = Counter(
        building_of.get(tx.old_room_code or sub.room_code)
        for tx, sub in _transactions(session, scope, "退房")
    )
    start, end = scope.period_from, scope.period_to
    stats: dict[str, dict[str, Decimal | int]] = defaultdict(lambda: defaultdict(lambda: 0))
    for room in rooms:
        if room.code not in status_of:
            continue  # removed by then
        s = stats[room.building_code]
        s["rooms"] += 1
        s["area"] += room.area_gross
        s["value"] += room.total_price
        s["available"] += status_of[room.code] == "可售"
    for deal in deals:
        building = building_of.get(deal.room_code)
        if building is None:
            continue
        s = stats[building]
        if start <= deal.date <= end:
            s["subscribed"] += 1
            s["subscribed_area"] += deal.area
            s["subscribed_amount"] += deal.total_price
        if deal.contract_date is not None:
            assert deal.contract_area is not None and deal.contract_total is not None
            if start <= deal.contract_date <= end:
                s["contracted"] += 1
                s["contracted_area"] += deal.contract_area
                s["contracted_amount"] += deal.contract_total
            if deal.live:
                s["contracted_total"] += 1
                s["contracted_amount_total"] += deal.contract_total
        s["collected_total"] += deal.received
        s["sold"] += deal.live
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


def collections_due(session: Session, scope: Scope) -> pd.DataFrame:
    """Deals live on the scope's day with money overdue then (催款): their terms, plan lines and
    money as of that day; an instalment is overdue once its due date has passed by the day's end."""
    day = scope.as_of
    today = day + dt.timedelta(days=1)
    deals = [d for d in asof.deals_at(session, scope.project_code, day) if d.live]
    lines = asof.term_lines_at(session, [d.id for d in deals], day)
    settled = asof.received_at(session, scope.project_code, day, (ledger.TRUE_UP,))
    surveyed = asof.true_up_dates(session, scope.project_code, day)
    rows = []
    for deal in sorted(deals, key=lambda d: d.no):
        plan = ledger.split(lines.get(deal.id, []), deal.date, deal.total_price)
        due = ledger.allocate(plan, deal.received - settled.get(deal.id, ZERO))
        survey = surveyed.get(deal.room_code)
        if deal.status == "签约" and deal.true_up != 0 and survey is not None:
            due.append(ledger.true_up_line(len(plan) + 1, deal.true_up, survey, settled.get(deal.id, ZERO)))
        late = [i for i in due if i.overdue(today)]
        overdue = sum((i.outstanding for i in late), ZERO)
        if overdue <= 0:
            continue
        rows.append(
            (
                deal.no,
                deal.room_code,
                deal.customer_name,
                deal.customer_phone,
                deal.rep_name,
                deal.due,
                deal.received,
                deal.outstanding,
                overdue,
                min(i.due_date for i in late),
            )
        )
    return _frame("collections_due", rows)


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


def board_cells(  # the 楼盘表's cells, as before
    session: Session, project: str, day: dt.date | None = None
) -> dict[str, dict[tuple[int, str], Cell]]:
    """Building code → (floor, unit+number column) → cell, for the project's rooms in use on
    ``day`` (today by default), each with its status as of that day: a hold past its 保留至 is
    可售, a deal cancelled later is still shown with its customer."""
    day = day or states.today()
    status_of = asof.room_statuses(session, project, day)
    rooms = list(
        session.scalars(
            select(Room)
            .where(Room.project_code == project, Room.code.in_(status_of))
            .order_by(Room.building_code, Room.floor, Room.unit, Room.number)
        )
    )
    deals = {d.room_code: d for d in asof.deals_at(session, project, day) if d.live}
    out: dict[str, dict[tuple[int, str], Cell]] = defaultdict(dict)
    for room in rooms:
        status = status_of[room.code]
        deal = deals.get(room.code)
        if deal is not None:
            detail = f"{deal.customer_name} {_money(deal.total_price)}"
        else:
            detail = f"{room.area_gross}㎡ {_money(room.total_price)}"
        column = f"{room.unit}单元" if room.unit else ""
        label = room.number
        out[room.building_code][(room.floor, f"{column}{_tail(room.number)}")] = Cell(
            room.code, label, status, f"{label}\n{status}\n{detail}"
        )
    return out
