"""A deal's own terms: the copy of its payment plan's lines and its discounts taken at 认购.

The schedule of a deal is computed from these rows for its whole life, so that a later edit or
removal of the plan or discount in master data reaches only deals made after it. A special
transaction that changes the terms (变更付款方案 / 变更折扣 / 换房) ends the rows it replaces
(``ended_by_id``) and adds the new ones (``special_id``); nothing is erased.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, Code, Money, Name


class DealTermLine(Base):
    """One instalment of a deal's plan as it was when the deal took it."""

    __tablename__ = "deal_term_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    plan_code: Mapped[Code]
    seq: Mapped[int]
    category: Mapped[str] = mapped_column(String(16))
    ratio: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    amount: Mapped[Money | None]
    due_days: Mapped[int]
    special_id: Mapped[int | None] = mapped_column(ForeignKey("special_transaction.id"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("special_transaction.id"))


class DealDiscount(Base):
    """One discount a deal holds, in the order it applies, as it was when granted."""

    __tablename__ = "deal_discount"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    seq: Mapped[int]
    code: Mapped[Code]
    name: Mapped[Name]
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    special_id: Mapped[int | None] = mapped_column(ForeignKey("special_transaction.id"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("special_transaction.id"))
