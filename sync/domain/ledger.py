"""What each deal has received and still owes: receipts net of 红冲 and refunds, and the payment
schedule from its plan's lines (docs/domain.md §2.1, §2.4).

A plan line is either a ratio of the deal's total price or a fixed sum; a fixed sum (typically 定金)
is credited against the next ratio line, so the lines always add up to the total price. Money
received is allocated to the lines in due order; a line whose due date has passed with money still
owing is overdue. A true-up is a line of its own, settled only by 面积补差款 money: positive when
the buyer owes it, negative when the developer refunds it (never netted into an instalment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schema.models import AreaTrueUp, DealTermLine, Receipt, Subscription
from schema.models.deals import LIVE
from sync.domain import terms
from sync.domain.trueup import ZERO, cents

#: Receipts that are not part of the price (collected on behalf of others).
NOT_PRICE = ("代收费用",)
MORTGAGE_CATEGORIES = ("按揭款", "公积金贷款")
TRUE_UP = "面积补差款"


@dataclass(frozen=True)
class Instalment:
    seq: int
    category: str
    due_date: dt.date
    amount: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid

    def overdue(self, today: dt.date) -> bool:
        return self.outstanding > 0 and self.due_date < today


def received(session: Session, subscription_ids: Iterable[int]) -> dict[int, Decimal]:
    """Net money received per deal: live receipts of the price, less 红冲 and refunds."""
    ids = list(subscription_ids)
    if not ids:
        return {}
    stmt = (
        select(Receipt.subscription_id, func.sum(Receipt.amount))
        .where(
            Receipt.subscription_id.in_(ids),
            Receipt.deleted_at.is_(None),
            Receipt.category.not_in(NOT_PRICE),
        )
        .group_by(Receipt.subscription_id)
    )
    out = {i: ZERO for i in ids}
    out.update({sid: cents(Decimal(total)) for sid, total in session.execute(stmt)})
    return out


def received_of(session: Session, subscription_id: int, categories: tuple[str, ...] | None = None) -> Decimal:
    stmt = select(func.sum(Receipt.amount)).where(
        Receipt.subscription_id == subscription_id, Receipt.deleted_at.is_(None)
    )
    stmt = (
        stmt.where(Receipt.category.in_(categories))
        if categories
        else stmt.where(Receipt.category.not_in(NOT_PRICE))
    )
    total = session.scalar(stmt)
    return cents(Decimal(total)) if total is not None else ZERO


def refunded(session: Session, subscription_id: int) -> Decimal:
    """Refunds paid out on a 退房 (a positive figure)."""
    return -received_of(session, subscription_id, ("退款",))


def true_up_amount(session: Session, sub: Subscription) -> tuple[Decimal, dt.date | None]:
    row = session.scalar(select(AreaTrueUp).where(AreaTrueUp.room_code == sub.room_code))
    if row is None or row.amount is None or sub.status != "签约":
        return ZERO, None
    return row.amount, row.survey_date


def instalments(session: Session, sub: Subscription) -> list[tuple[int, str, dt.date, Decimal]]:
    """The deal's plan lines as (seq, category, due date, amount) for its total price."""
    return split(terms.lines_of(session, sub), sub.date, sub.total_price)  # the deal's own copy


def split(
    lines: Sequence[DealTermLine], start: dt.date, total_price: Decimal
) -> list[tuple[int, str, dt.date, Decimal]]:
    """Plan lines as (seq, category, due date, amount) for a deal made on ``start`` at ``total_price``."""
    out: list[tuple[int, str, dt.date, Decimal]] = []
    credit = ZERO
    last_ratio = -1
    for line in lines:
        due = start + dt.timedelta(days=line.due_days)
        if line.amount is not None:
            amount = min(cents(line.amount), total_price)
            credit += amount
        else:
            amount = cents(total_price * (line.ratio or ZERO)) - credit
            credit = ZERO
            last_ratio = len(out)
        out.append((line.seq, line.category, due, amount))
    if out and last_ratio >= 0:  # rounding: the lines add up to the total price exactly
        total = sum((a for *_, a in out), ZERO)
        seq, category, due, amount = out[last_ratio]
        out[last_ratio] = (seq, category, due, amount + total_price - total)
    return out


def allocate(lines: list[tuple[int, str, dt.date, Decimal]], pool: Decimal) -> list[Instalment]:
    """Money of the price allocated to the lines in due order."""
    out = []
    for seq, category, due, amount in sorted(lines, key=lambda x: (x[2], x[0])):
        paid_here = max(ZERO, min(amount, pool))
        pool -= paid_here
        out.append(Instalment(seq, category, due, amount, paid_here))
    return out


def true_up_line(seq: int, extra: Decimal, survey: dt.date, settled: Decimal) -> Instalment:
    """The true-up's own line, settled only by 面积补差款 money (either way)."""
    paid_here = min(extra, max(ZERO, settled)) if extra > 0 else max(extra, min(ZERO, settled))
    return Instalment(seq, TRUE_UP, survey, extra, paid_here)


def schedule(session: Session, sub: Subscription, paid: Decimal | None = None) -> list[Instalment]:
    """The deal's instalments with what has been paid against each (received money allocated in due order)."""
    if sub.status not in LIVE:
        return []
    pool = received(session, [sub.id])[sub.id] if paid is None else paid
    settled = received_of(session, sub.id, (TRUE_UP,))  # the true-up's own money, either way
    pool -= settled
    lines = instalments(session, sub)
    out = allocate(lines, pool)
    extra, survey = true_up_amount(session, sub)
    if extra != 0 and survey is not None:  # its own line: owed by the buyer (+) or to the buyer (−)
        out.append(true_up_line(len(lines) + 1, extra, survey, settled))
    return out


@dataclass(frozen=True)
class Balance:
    total: Decimal  # the price plus any true-up
    received: Decimal
    outstanding: Decimal
    overdue: Decimal

    @property
    def credit(self) -> Decimal:
        """What the buyer is owed back (overpaid, a smaller area, a cheaper room): never negative."""
        return max(ZERO, -self.outstanding)


def balance(session: Session, sub: Subscription, today: dt.date) -> Balance:
    got = received(session, [sub.id])[sub.id]
    if sub.status not in LIVE:
        return Balance(ZERO, got, ZERO, ZERO)
    extra, _ = true_up_amount(session, sub)
    lines = schedule(session, sub, got)
    overdue = sum((i.outstanding for i in lines if i.overdue(today)), ZERO)
    total = sub.total_price + extra
    return Balance(total, got, total - got, overdue)


@dataclass(frozen=True)
class ReceiptLine:
    """One row of the receipts register (收退款明细), deleted and corrected versions included."""

    no: str
    revision: int
    subscription_no: str
    category: str
    amount: Decimal
    paid_at: dt.datetime
    reverses_no: str | None
    state: str  # 有效 / 已红冲 / 已删除 / 已更正


def receipt_register(
    session: Session, project_code: str, *, include_deleted: bool = True
) -> list[ReceiptLine]:
    """The project's receipts in time order; a deleted receipt stays listed as 已删除 (the seed's 删除)."""
    stmt = (
        select(Receipt, Subscription.no)
        .join(Subscription, Subscription.id == Receipt.subscription_id)
        .where(Receipt.project_code == project_code)
        .order_by(Receipt.paid_at, Receipt.no, Receipt.revision)
    )
    if not include_deleted:
        stmt = stmt.where(Receipt.deleted_at.is_(None))
    rows = session.execute(stmt).all()
    reversed_nos = {r.reverses_no for r, _ in rows if r.reverses_no and r.deleted_at is None}
    out = []
    for receipt, sub_no in rows:
        if receipt.deleted_at is not None:
            state = "已更正" if receipt.deleted_reason == "更正" else "已删除"
        else:
            state = "已红冲" if receipt.no in reversed_nos else "有效"
        out.append(
            ReceiptLine(
                receipt.no,
                receipt.revision,
                sub_no,
                receipt.category,
                receipt.amount,
                receipt.paid_at,
                receipt.reverses_no,
                state,
            )
        )
    return out
