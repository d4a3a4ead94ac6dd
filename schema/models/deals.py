"""Sales control (DOMAIN.md §2.3): room controls, subscriptions, contracts, special transactions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Area, Base, Code, Money, Name, now


class RoomControl(Base):
    """保留 / 取消保留 / 设为不可售 / 恢复可售 on one room."""

    __tablename__ = "room_control"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    hold_until: Mapped[dt.date | None]
    op_date: Mapped[dt.date]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    deleted_at: Mapped[dt.datetime | None]


class RoomStatusChange(Base):
    """Every transition of a room's status: who, when, from which workbook version."""

    __tablename__ = "room_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), index=True)
    from_status: Mapped[str] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    at: Mapped[dt.datetime] = mapped_column(default=now)
    cause: Mapped[str | None] = mapped_column(String(64))


class Subscription(Base):
    """认购. ``status``: 认购 / 签约 / 退房 / 换出 (moved to another room by 换房)."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[Code] = mapped_column(unique=True)
    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"), index=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    customer_name: Mapped[Name]
    customer_phone: Mapped[str] = mapped_column(String(20))
    rep_name: Mapped[Name]
    rep_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    date: Mapped[dt.date]
    plan_code: Mapped[Code] = mapped_column(ForeignKey("payment_plan.code"))
    discount_codes: Mapped[str | None] = mapped_column(String(400))
    area: Mapped[Area]
    unit_price: Mapped[Money]
    total_price: Mapped[Money]
    deposit: Mapped[Money]
    mortgage_ratio: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    sign_due_date: Mapped[dt.date | None]
    co_buyers: Mapped[str | None] = mapped_column(String(400))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="认购")
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))


class Contract(Base):
    """签约, made from a subscription."""

    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[Code] = mapped_column(unique=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), unique=True)
    date: Mapped[dt.date]
    area: Mapped[Area]
    unit_price: Mapped[Money]
    total_price: Mapped[Money]
    bank: Mapped[str | None] = mapped_column(String(100))
    mortgage_amount: Mapped[Money | None]
    filed_date: Mapped[dt.date | None]
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))


class SpecialTransaction(Base):
    """换房 / 退房 / 更名 / 变更付款方案 / 变更折扣, each with an approval number and a reason."""

    __tablename__ = "special_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[Code] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    date: Mapped[dt.date]
    approval_no: Mapped[Code]
    reason: Mapped[str] = mapped_column(Text)
    new_room_code: Mapped[str | None] = mapped_column(String(64))
    new_customer_name: Mapped[str | None] = mapped_column(String(200))
    new_customer_phone: Mapped[str | None] = mapped_column(String(20))
    new_plan_code: Mapped[str | None] = mapped_column(String(64))
    new_discount_codes: Mapped[str | None] = mapped_column(String(400))
    new_total_price: Mapped[Money | None]
    refund_amount: Mapped[Money | None]
    finance_acknowledged_at: Mapped[dt.datetime | None]
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
