"""A deal's own terms (DOMAIN.md §2.3 as the books keep them): at 认购 the deal takes a copy of its
payment plan's lines and of its discounts, and the 定金 written on its row; its schedule is computed
from that copy for its whole life. Master data edited or removed later reaches only deals made
after it. Only the deal's own special transactions (变更付款方案 / 变更折扣 / 换房) change the copy:
the rows they replace are ended by the transaction, never erased.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schema.models import (
    DealDiscount,
    DealTermLine,
    Discount,
    PaymentPlan,
    PaymentPlanLine,
    SpecialTransaction,
    Subscription,
)

DEPOSIT = "定金"


def take_plan(
    session: Session, sub: Subscription, plan: PaymentPlan, special: SpecialTransaction | None = None
) -> None:
    """Copy ``plan``'s live lines onto the deal; a fixed 定金 line takes the deal's own 定金."""
    if special is not None:
        session.execute(
            update(DealTermLine)
            .where(DealTermLine.subscription_id == sub.id, DealTermLine.ended_by_id.is_(None))
            .values(ended_by_id=special.id)
        )
    lines = session.scalars(
        select(PaymentPlanLine)
        .where(PaymentPlanLine.plan_code == plan.code, PaymentPlanLine.removed_at.is_(None))
        .order_by(PaymentPlanLine.seq)
    )
    for line in lines:
        fixed = line.amount
        if fixed is not None and line.category == DEPOSIT:
            fixed = sub.deposit
        session.add(
            DealTermLine(
                subscription_id=sub.id,
                plan_code=plan.code,
                seq=line.seq,
                category=line.category,
                ratio=line.ratio,
                amount=fixed,
                due_days=line.due_days,
                special_id=special.id if special is not None else None,
            )
        )


def take_discounts(
    session: Session,
    sub: Subscription,
    discounts: Iterable[Discount],
    special: SpecialTransaction | None = None,
) -> None:
    """Copy the discounts (in the order they apply) onto the deal, ending those they replace."""
    if special is not None:
        session.execute(
            update(DealDiscount)
            .where(DealDiscount.subscription_id == sub.id, DealDiscount.ended_by_id.is_(None))
            .values(ended_by_id=special.id)
        )
    for seq, discount in enumerate(discounts, start=1):
        session.add(
            DealDiscount(
                subscription_id=sub.id,
                seq=seq,
                code=discount.code,
                name=discount.name,
                kind=discount.kind,
                value=discount.value,
                special_id=special.id if special is not None else None,
            )
        )


def lines_of(session: Session, sub: Subscription) -> list[DealTermLine]:
    """The deal's current plan lines, in order."""
    return list(
        session.scalars(
            select(DealTermLine)
            .where(DealTermLine.subscription_id == sub.id, DealTermLine.ended_by_id.is_(None))
            .order_by(DealTermLine.seq)
        )
    )


def discounts_of(session: Session, sub: Subscription) -> list[DealDiscount]:
    """The deal's current discounts, in the order they apply."""
    return list(
        session.scalars(
            select(DealDiscount)
            .where(DealDiscount.subscription_id == sub.id, DealDiscount.ended_by_id.is_(None))
            .order_by(DealDiscount.seq)
        )
    )
