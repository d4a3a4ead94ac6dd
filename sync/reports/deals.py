"""Reports on deals and money (docs/domain.md §4): 销售明细分析表, 退房明细表, 换房明细表, 销售汇总表,
收退款明细表, 按揭情况列表. Money is what :mod:`sync.domain.ledger` says, so reports and tasks agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

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
from sync.domain.asof_frame import deals_frame, read_frame
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
    """The period's subscriptions as the books stood at the scope's day: a deal cancelled later
    is still 认购 or 签约 here, with the money it had received by then."""
    deals = deals_frame(session, scope.project_code, scope.as_of, since=scope.period_from)
    deals = deals[deals["date"] <= scope.period_to]
    if deals.empty:
        return _frame("sales_detail", [])
    rooms = _room_facts(session, scope.project_code)
    building = deals["room_code"].map(rooms["building"])
    plans = {c: n for c, n in session.execute(select(PaymentPlan.code, PaymentPlan.name))}
    contracted = deals["contract_no"].notna()
    out = pd.DataFrame(
        {
            "project": _project_name(session, scope.project_code),
            "building": building,
            "room_code": deals["room_code"],
            "layout": deals["room_code"].map(rooms["layout"]),
            "customer_name": deals["customer_name"],
            "customer_phone": deals["customer_phone"],
            "rep": deals["rep_name"],
            "subscription_no": deals["no"],
            "subscription_date": deals["date"],
            "contract_no": deals["contract_no"],
            "contract_date": deals["contract_date"],
            "area": deals["contract_area"].where(contracted, deals["area"]),
            "unit_price": deals["contract_unit_price"].where(contracted, deals["unit_price"]),
            "total_price": deals["contract_total"].where(contracted, deals["total_price"]),
            "discount": deals["discount_codes"],
            "plan": deals["plan_code"].map(lambda code: plans.get(code, code)),
            "mortgage_ratio": deals["mortgage_ratio"],
            "received": deals["received"],
            "outstanding": deals["outstanding"],
            "status": deals["status"],
        }
    )
    return _objects(out.reset_index(drop=True))


def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as Python objects with None for a blank, as a frame built from rows has them."""
    return frame.astype(object).where(frame.notna(), None)


def _room_facts(session: Session, project: str) -> pd.DataFrame:
    """Per room code of the project: its building's name (the code when unnamed) and its layout."""
    names = _buildings(session, project)
    stmt = select(Room.code, Room.building_code, Room.layout).where(Room.project_code == project)
    frame = read_frame(session, stmt).set_index("code")
    frame["building"] = frame["building_code"].map(lambda b: names.get(b, b))
    return frame


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


@builder("receipts")
def receipts(session: Session, scope: Scope) -> pd.DataFrame:
    """The period's receipts as they stood at the scope's day: a receipt deleted later is still
    listed; one dated in the period but entered later is listed (a late entry)."""
    start, end = scope.bounds()
    counted = asof.counted_receipts(scope.project_code, scope.as_of).subquery()
    stmt = (
        select(
            counted.c.no,
            counted.c.paid_at,
            Subscription.id.label("deal"),
            Subscription.room_code,
            Subscription.customer_name,
            Subscription.no.label("subscription_no"),
            counted.c.category,
            counted.c.method,
            counted.c.payer,
            counted.c.amount,
            counted.c.reverses_no,
        )
        .join(Subscription, Subscription.id == counted.c.subscription_id)
        .where(counted.c.paid_at >= start, counted.c.paid_at < end)
        .order_by(counted.c.paid_at, counted.c.no)
    )
    found = read_frame(session, stmt)
    if found.empty:
        return _frame("receipts", [])
    deals = deals_frame(session, scope.project_code, scope.as_of).set_index("id")
    known = found["deal"].isin(deals.index)
    out = pd.DataFrame(
        {
            "receipt_no": found["no"],
            "paid_at": _shanghai_dates(found["paid_at"]),
            "project": _project_name(session, scope.project_code),
            "room_code": found["deal"].map(deals["room_code"]).where(known, found["room_code"]),
            "customer_name": found["deal"].map(deals["customer_name"]).where(known, found["customer_name"]),
            "subscription_no": found["subscription_no"],
            "category": found["category"],
            "method": found["method"],
            "payer": found["payer"],
            "amount": found["amount"],
            "reverses": found["reverses_no"],
        }
    )
    return _objects(out)


def _shanghai_dates(instants: pd.Series) -> pd.Series:
    """Stored instants as their dates in Shanghai."""
    return pd.Series(
        pd.to_datetime(instants.tolist(), utc=True).tz_convert(SHANGHAI).date,
        index=instants.index,
        dtype=object,
    )


@builder("mortgages")
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
    released_then = and_(Mortgage.released_date.is_not(None), Mortgage.released_date <= day)
    stmt = (
        select(
            Subscription.id.label("deal"),
            Subscription.no,
            Subscription.room_code,
            Subscription.customer_name,
            Mortgage.bank,
            Mortgage.loan_type,
            Mortgage.amount,
            func.coalesce(ranked.c.to_status, Mortgage.status).label("status"),
            case((Mortgage.submitted_date <= day, Mortgage.submitted_date)).label("submitted"),
            case((Mortgage.approved_date <= day, Mortgage.approved_date)).label("approved"),
            case((released_then, Mortgage.released_date)).label("released_date"),
            case((released_then, Mortgage.released_amount)).label("released"),
        )
        .join(Subscription, Subscription.id == Mortgage.subscription_id)
        .outerjoin(ranked, and_(ranked.c.mortgage_id == Mortgage.id, ranked.c.rank == 1))
        .where(Subscription.project_code == scope.project_code, Subscription.date <= day)
        .order_by(Subscription.no)
    )
    found = read_frame(session, stmt)
    if found.empty:
        return _frame("mortgages", [])
    deals = deals_frame(session, scope.project_code, day).set_index("id")
    known = found["deal"].isin(deals.index)
    released = found["released"].where(found["released"].notna(), ZERO)
    out = pd.DataFrame(
        {
            "subscription_no": found["no"],
            "contract_no": found["deal"].map(deals["contract_no"]).where(known, None),
            "room_code": found["deal"].map(deals["room_code"]).where(known, found["room_code"]),
            "customer_name": found["deal"].map(deals["customer_name"]).where(known, found["customer_name"]),
            "bank": found["bank"],
            "loan_type": found["loan_type"],
            "loan_amount": found["amount"],
            "status": found["status"],
            "submitted": found["submitted"],
            "approved": found["approved"],
            "released": found["released_date"],
            "released_amount": released,
            "unreleased_amount": found["amount"] - released,
        }
    )
    return _objects(out)


@builder("sales_summary")
def sales_summary(session: Session, scope: Scope) -> pd.DataFrame:
    """Per building, as the books stood at the scope's day: the stock and what was 可售 then, the
    period's subscriptions, contracts and cancellations (a deal cancelled later still counts in
    the period it was made, with its figures of then), the contracts still standing and the money
    collected by that day. Grouped in pandas over two frames (rooms, deals as of the day), so the
    sums stay exact decimals on every database."""
    day = scope.as_of
    project = _project_name(session, scope.project_code)
    status_of = asof.room_statuses(session, scope.project_code, day)
    stmt = select(Room.code, Room.building_code, Room.area_gross, Room.total_price).where(
        Room.project_code == scope.project_code
    )
    rooms = read_frame(
        session,
        stmt.with_only_columns(
            Room.code,
            Room.building_code.label("building"),
            Room.area_gross.label("area"),
            Room.total_price.label("value"),
        ),
    )
    building_of = rooms.set_index("code")["building"]
    used = rooms[rooms["code"].isin(status_of.keys())].copy()  # removed by then: not counted
    used["available"] = used["code"].map(status_of) == "可售"
    stock = used.groupby("building").agg(
        rooms=("code", "size"), area=("area", "sum"), value=("value", "sum"), available=("available", "sum")
    )
    deals = deals_frame(session, scope.project_code, day)
    deals["building"] = deals["room_code"].map(building_of)
    deals = deals[deals["building"].notna()]
    start, end = scope.period_from, scope.period_to
    made = deals[(deals["date"] >= start) & (deals["date"] <= end)]
    signed = deals[deals["contract_date"].notna()]
    signed_now = signed[(signed["contract_date"] >= start) & (signed["contract_date"] <= end)]
    standing = signed[signed["live"].astype(bool)]
    by = "building"
    parts = {
        "subscribed": made.groupby(by).size(),
        "subscribed_area": made.groupby(by)["area"].sum(),
        "subscribed_amount": made.groupby(by)["total_price"].sum(),
        "contracted": signed_now.groupby(by).size(),
        "contracted_area": signed_now.groupby(by)["contract_area"].sum(),
        "contracted_amount": signed_now.groupby(by)["contract_total"].sum(),
        "contracted_total": standing.groupby(by).size(),
        "contracted_amount_total": standing.groupby(by)["contract_total"].sum(),
        "collected_total": deals.groupby(by)["received"].sum(),
        "sold": deals.groupby(by)["live"].sum(),
    }
    cancelled = pd.Series(
        [
            building_of.get(tx.old_room_code or sub.room_code)
            for tx, sub in _transactions(session, scope, "退房")
        ],
        dtype=object,
    ).value_counts()
    buildings = sorted(set(stock.index) | set(deals["building"]))
    names = _buildings(session, scope.project_code)

    def column(series: pd.Series) -> list[Any]:
        return [series.get(b, 0) for b in buildings]

    counts = {name: column(part) for name, part in parts.items()}
    total = [int(n) for n in column(stock["rooms"])]
    out = pd.DataFrame(
        {
            "project": [project] * len(buildings),
            "building": [names.get(b, b) for b in buildings],
            "rooms": total,
            "area": column(stock["area"]),
            "value": column(stock["value"]),
            "available": [int(n) for n in column(stock["available"])],
            **{k: counts[k] for k in ("subscribed", "subscribed_area", "subscribed_amount")},
            **{k: counts[k] for k in ("contracted", "contracted_area", "contracted_amount")},
            "cancelled": [int(cancelled.get(b, 0)) for b in buildings],
            **{k: counts[k] for k in ("contracted_total", "contracted_amount_total", "collected_total")},
            "sell_through": [
                (Decimal(int(sold)) / n).quantize(Decimal("0.0001")) if n else None
                for sold, n in zip(counts["sold"], total, strict=True)
            ],
        },
        dtype=object,
    )
    return out if len(out) else _frame("sales_summary", [])


@builder("collections_due")
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
