"""Finance (DOMAIN.md §2.4): receipts with red reversals and refunds, mortgages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, Code, Money, Name


class Receipt(Base):
    """收款. A mistaken receipt is deleted by keeping it with ``deleted_at``; a 红冲 is a negative row
    naming the original in ``reverses_no``."""

    __tablename__ = "receipt"
    __table_args__ = (UniqueConstraint("project_code", "no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"))
    no: Mapped[Code]
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Money]
    payer: Mapped[Name]
    method: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[dt.datetime]
    reverses_no: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    deleted_at: Mapped[dt.datetime | None]
    deleted_in_version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))


class Mortgage(Base):
    """按揭 progress of one subscription; status only moves forward or to 已拒贷."""

    __tablename__ = "mortgage"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), unique=True)
    bank: Mapped[Name]
    loan_type: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Money]
    years: Mapped[int]
    status: Mapped[str] = mapped_column(String(8))
    submitted_date: Mapped[dt.date | None]
    approved_date: Mapped[dt.date | None]
    released_date: Mapped[dt.date | None]
    released_amount: Mapped[Money | None]
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
