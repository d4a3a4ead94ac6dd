"""Finance (docs/domain.md §2.4): receipts with red reversals and refunds, mortgages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, Code, Money, Name


class Receipt(Base):
    """收款. Receipts are never erased: a mistaken receipt deleted from the workbook is kept with
    ``deleted_at``; a corrected one is kept likewise and its correction is the next ``revision`` of
    the same 票据编号. A 红冲 is a negative row naming the original in ``reverses_no``; a refund
    (退款) is a negative row of a subscription ended by 退房. Among live rows (``deleted_at`` null)
    a 票据编号 is unique in its project."""

    __tablename__ = "receipt"
    __table_args__ = (UniqueConstraint("project_code", "no", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"))
    no: Mapped[Code]
    revision: Mapped[int] = mapped_column(default=1)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Money]
    payer: Mapped[Name]
    method: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[dt.datetime]
    reverses_no: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    workbook_id: Mapped[int | None] = mapped_column(ForeignKey("workbook.id"), index=True)
    row_hash: Mapped[str | None] = mapped_column(String(32))
    deleted_at: Mapped[dt.datetime | None]
    deleted_in_version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    deleted_reason: Mapped[str | None] = mapped_column(String(16))  # 删除 / 更正


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
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    row_hash: Mapped[str | None] = mapped_column(String(32))


class MortgageStatusChange(Base):
    """Every move of a mortgage's 办理状态: who, when, from which workbook version."""

    __tablename__ = "mortgage_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    mortgage_id: Mapped[int] = mapped_column(ForeignKey("mortgage.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    at: Mapped[dt.datetime]
