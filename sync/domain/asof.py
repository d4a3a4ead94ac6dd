"""The books as of a date: every figure of a report or the 楼盘表 from recorded history.

Two times are kept for everything: when it happened (the business date the workbook states: a
status change's date, a receipt's 交款时间, a transaction's 办理日期) and when the system learnt
it (the workbook version's ``seen_at``, a deletion's ``deleted_at``). As of day D:

- a room's status is the last change dated on or before D (the master data's status before any),
  and a 保留 whose 保留至 is before D shows 可售;
- a deal counts if its 认购日期 is on or before D; it is 退房 if its 退房 is dated on or before D,
  签约 if its contract is, 认购 otherwise; its room, customer, plan, discounts, area and price are
  those before the first special transaction dated after D (each transaction keeps what it
  replaced);
- a receipt counts if its 交款时间 is on or before D and it was not deleted (删除) by the end of
  D; a corrected receipt counts as its correction (the superseded revision never counts).

An entry dated on or before D that arrives later changes the figures as of D: a late entry, which
the stored report runs (``sync.reports.runs``) point out. Everything is set-based SQL (as-of joins
with window functions) so that it stays fast on large projects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, Subquery, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from schema.base import SHANGHAI
from schema.models import (
    AreaTrueUp,
    Contract,
    DealTermLine,
    Receipt,
    Room,
    RoomControl,
    RoomStatusChange,
    SpecialTransaction,
    Subscription,
)
from sync.domain import ledger
from sync.domain import rooms as states
from sync.domain.trueup import ZERO, cents

REPRICING = ("换房", "变更折扣")


def end_of(day: dt.date) -> dt.datetime:
    """The instant D ends (midnight after it, Asia/Shanghai)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI)


def room_statuses(session: Session, project: str, day: dt.date) -> dict[str, str]:
    """Room code → status as of ``day`` (a hold past its 保留至 shows 可售) for the project's rooms
    that had not been removed by then."""
    end = end_of(day)
    ranked = (
        select(
            RoomStatusChange.room_code,
            RoomStatusChange.to_status,
            func.row_number()
            .over(
                partition_by=RoomStatusChange.room_code,
                order_by=(RoomStatusChange.business_date.desc(), RoomStatusChange.id.desc()),
            )
            .label("rank"),
        )
        .join(Room, Room.code == RoomStatusChange.room_code)
        .where(
            Room.project_code == project,
            or_(
                RoomStatusChange.business_date <= day,
                and_(RoomStatusChange.business_date.is_(None), RoomStatusChange.at < end),
            ),
        )
        .subquery()
    )
    stmt = (
        select(Room.code, func.coalesce(ranked.c.to_status, Room.initial_status))
        .outerjoin(ranked, and_(ranked.c.room_code == Room.code, ranked.c.rank == 1))
        .where(Room.project_code == project, or_(Room.removed_at.is_(None), Room.removed_at >= end))
    )
    out = {code: status for code, status in session.connection().execute(stmt)}  # plain rows: no ORM pass
    held = [code for code, status in out.items() if status == states.HELD]
    for code in expired_holds(session, held, day):
        out[code] = states.AVAILABLE
    return out


def expired_holds(session: Session, codes: list[str], day: dt.date) -> set[str]:
    """Of rooms held as of ``day``, those whose hold (the latest 保留 in force then) ran out before it."""
    if not codes:
        return set()
    end = end_of(day)
    ranked = (
        select(
            RoomControl.room_code,
            RoomControl.hold_until,
            func.row_number()
            .over(
                partition_by=RoomControl.room_code,
                order_by=(RoomControl.op_date.desc(), RoomControl.id.desc()),
            )
            .label("rank"),
        )
        .where(
            RoomControl.room_code.in_(codes),
            RoomControl.action == "保留",
            RoomControl.op_date <= day,
            or_(RoomControl.deleted_at.is_(None), RoomControl.deleted_at >= end),
        )
        .subquery()
    )
    stmt = select(ranked.c.room_code).where(
        ranked.c.rank == 1, ranked.c.hold_until.is_not(None), ranked.c.hold_until < day
    )
    return set(session.scalars(stmt))


@dataclass(frozen=True)
class DealAt:
    """A deal as the books stood on a day."""

    id: int
    no: str
    date: dt.date
    status: str  # 认购 / 签约 / 退房
    room_code: str
    customer_name: str
    customer_phone: str
    rep_name: str
    plan_code: str
    discount_codes: str | None
    area: Decimal
    unit_price: Decimal
    total_price: Decimal
    mortgage_ratio: Decimal | None
    contract_no: str | None
    contract_date: dt.date | None
    contract_area: Decimal | None
    contract_unit_price: Decimal | None
    contract_total: Decimal | None
    ended_date: dt.date | None
    received: Decimal  # net money of the price received by the end of the day
    true_up: Decimal  # the 面积补差 due (+) or owed to the buyer (−), surveyed by then

    @property
    def live(self) -> bool:
        return self.status in (states.SUBSCRIBED, states.CONTRACTED)

    @property
    def due(self) -> Decimal:
        """What the buyer owes in all: the price and, once contracted, the true-up."""
        return self.total_price + (self.true_up if self.status == states.CONTRACTED else ZERO)

    @property
    def outstanding(self) -> Decimal:
        """未收金额: what is still owed (0 for a deal ended by 退房)."""
        return self.due - self.received if self.live else ZERO


def counted_receipts(project: str, day: dt.date) -> Select[Receipt]:
    """A select of the project's receipts that count as of ``day`` (see the module's rules)."""
    end = end_of(day)
    return select(Receipt).where(
        Receipt.project_code == project,
        Receipt.paid_at < end,
        or_(
            Receipt.deleted_reason.is_(None),
            and_(Receipt.deleted_reason == "删除", Receipt.deleted_at >= end),
        ),
    )


def received_at(
    session: Session, project: str, day: dt.date, only: tuple[str, ...] | None = None
) -> dict[int, Decimal]:
    """Deal id → net money of the price (or of the categories ``only``) received as of ``day``
    (红冲 and refunds included)."""
    which = Receipt.category.in_(only) if only else Receipt.category.not_in(ledger.NOT_PRICE)
    counted = counted_receipts(project, day).where(which).subquery()
    stmt = select(counted.c.subscription_id, func.sum(counted.c.amount)).group_by(counted.c.subscription_id)
    return {sid: cents(Decimal(total)) for sid, total in session.execute(stmt)}


def _next_transaction(day: dt.date, kinds: tuple[str, ...] | None = None) -> Subquery:
    """Per deal, the first special transaction dated after ``day`` (of ``kinds``): it kept the
    terms the deal had on ``day``."""
    stmt = select(
        SpecialTransaction,
        func.row_number()
        .over(
            partition_by=SpecialTransaction.subscription_id,
            order_by=(SpecialTransaction.date, SpecialTransaction.id),
        )
        .label("rank"),
    ).where(SpecialTransaction.date > day)
    if kinds:
        stmt = stmt.where(SpecialTransaction.kind.in_(kinds))
    return stmt.subquery()


def deals_at(session: Session, project: str, day: dt.date, *, since: dt.date | None = None) -> list[DealAt]:
    """The project's deals made on or before ``day`` (and on or after ``since``), as of ``day``."""
    after = _next_transaction(day)
    reprice = _next_transaction(day, REPRICING)
    cancel = (
        select(SpecialTransaction.subscription_id, func.min(SpecialTransaction.date).label("date"))
        .where(SpecialTransaction.kind == "退房", SpecialTransaction.date <= day)
        .group_by(SpecialTransaction.subscription_id)
        .subquery()
    )
    stmt = (
        select(
            Subscription,
            Contract,
            cancel.c.date,
            after.c.old_room_code,
            after.c.old_customer_name,
            after.c.old_plan_code,
            after.c.old_discount_codes,
            after.c.old_total_price,
            after.c.old_area,
            after.c.old_customer_phone,
            reprice.c.old_total_price,
            reprice.c.old_area,
        )
        .outerjoin(Contract, and_(Contract.subscription_id == Subscription.id, Contract.date <= day))
        .outerjoin(cancel, cancel.c.subscription_id == Subscription.id)
        .outerjoin(after, and_(after.c.subscription_id == Subscription.id, after.c.rank == 1))
        .outerjoin(reprice, and_(reprice.c.subscription_id == Subscription.id, reprice.c.rank == 1))
        .where(Subscription.project_code == project, Subscription.date <= day)
        .order_by(Subscription.date, Subscription.no)
    )
    if since is not None:
        stmt = stmt.where(Subscription.date >= since)
    got = received_at(session, project, day)
    true_ups = _true_ups(session, project, day)
    out = []
    for row in session.execute(stmt):
        sub: Subscription = row[0]
        contract: Contract | None = row[1]
        cancelled = row[2]
        old = row[3:10]
        reprice_total, reprice_area = row[10], row[11]
        later = old[0] is not None  # a transaction dated after the day kept the day's terms
        room = old[0] if later else sub.room_code
        total = old[4] if later and old[4] is not None else sub.total_price
        area = old[5] if later and old[5] is not None else sub.area
        unit = sub.unit_price if total == sub.total_price else cents(total / area)
        status = "退房" if cancelled is not None else (states.CONTRACTED if contract else states.SUBSCRIBED)
        c_total = c_area = c_unit = None
        if contract is not None:
            c_total = reprice_total if reprice_total is not None else contract.total_price
            c_area = reprice_area if reprice_area is not None else contract.area
            c_unit = contract.unit_price if c_total == contract.total_price else cents(c_total / c_area)
        phone = old[6] if later and old[6] is not None else sub.customer_phone
        out.append(
            DealAt(
                id=sub.id,
                no=sub.no,
                date=sub.date,
                status=status,
                room_code=room,
                customer_name=old[1] if later and old[1] is not None else sub.customer_name,
                customer_phone=phone,
                rep_name=sub.rep_name,
                plan_code=old[2] if later and old[2] is not None else sub.plan_code,
                discount_codes=old[3] if later else sub.discount_codes,
                area=area,
                unit_price=unit,
                total_price=total,
                mortgage_ratio=sub.mortgage_ratio,
                contract_no=contract.no if contract else None,
                contract_date=contract.date if contract else None,
                contract_area=c_area,
                contract_unit_price=c_unit,
                contract_total=c_total,
                ended_date=cancelled,
                received=got.get(sub.id, ZERO),
                true_up=true_ups.get(room, ZERO) if contract is not None else ZERO,
            )
        )
    return out


def term_lines_at(session: Session, ids: list[int], day: dt.date) -> dict[int, list[DealTermLine]]:
    """Deal id → its plan lines in force on ``day``: the copy taken at 认购, or the one a
    变更付款方案 dated on or before ``day`` put in its place."""
    began, ended = aliased(SpecialTransaction), aliased(SpecialTransaction)
    stmt = (
        select(DealTermLine)
        .outerjoin(began, began.id == DealTermLine.special_id)
        .outerjoin(ended, ended.id == DealTermLine.ended_by_id)
        .where(
            DealTermLine.subscription_id.in_(ids),
            or_(DealTermLine.special_id.is_(None), began.date <= day),
            or_(DealTermLine.ended_by_id.is_(None), ended.date > day),
        )
        .order_by(DealTermLine.subscription_id, DealTermLine.seq)
    )
    out: dict[int, list[DealTermLine]] = {}
    for line in session.scalars(stmt):
        out.setdefault(line.subscription_id, []).append(line)
    return out


def true_up_dates(session: Session, project: str, day: dt.date) -> dict[str, dt.date]:
    """Room code → the date of its survey, if on or before ``day``."""
    stmt = (
        select(AreaTrueUp.room_code, AreaTrueUp.survey_date)
        .join(Room, Room.code == AreaTrueUp.room_code)
        .where(Room.project_code == project, AreaTrueUp.survey_date <= day)
    )
    return {code: when for code, when in session.execute(stmt)}


def _true_ups(session: Session, project: str, day: dt.date) -> dict[str, Decimal]:
    """Room code → the true-up amount of a survey dated on or before ``day``."""
    stmt = (
        select(AreaTrueUp.room_code, AreaTrueUp.amount)
        .join(Room, Room.code == AreaTrueUp.room_code)
        .where(Room.project_code == project, AreaTrueUp.survey_date <= day, AreaTrueUp.amount.is_not(None))
    )
    return {code: amount for code, amount in session.execute(stmt) if amount is not None}
