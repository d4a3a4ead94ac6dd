"""Sales control (docs/domain.md §2.3): room controls, subscriptions, contracts, special transactions.

Rows carry ``row_hash`` (the fingerprint of the workbook row as entered) so that a later version
of the same workbook touches only the rows that changed, and ``version_id`` for provenance.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Area, Base, Code, Money, Name, now

#: Subscription statuses: live (认购, 签约) and ended (退房).
LIVE = ("认购", "签约")


class RoomControl(Base):
    """保留 / 取消保留 / 设为不可售 / 恢复可售 on one room; a removed row is kept with ``deleted_at``."""

    __tablename__ = "room_control"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    hold_until: Mapped[dt.date | None]
    op_date: Mapped[dt.date]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    workbook_id: Mapped[int | None] = mapped_column(ForeignKey("workbook.id"), index=True)
    row_hash: Mapped[str | None] = mapped_column(String(32))
    deleted_at: Mapped[dt.datetime | None]
    deleted_in_version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))


class RoomStatusChange(Base):
    """Every transition of a room's status: who, when, from which workbook version, and why."""

    __tablename__ = "room_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), index=True)
    from_status: Mapped[str] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    at: Mapped[dt.datetime] = mapped_column(default=now)
    cause: Mapped[str | None] = mapped_column(String(64))
    business_date: Mapped[dt.date | None]  # the date of the operation as the workbook states it
    ref: Mapped[str | None] = mapped_column(String(64))  # 认购编号 / 事务编号 behind the change


class Subscription(Base):
    """认购. ``status``: 认购 / 签约 / 退房. ``room_code``, the customer, the plan, the discounts and the
    price are the deal's current terms (a special transaction changes them); ``core_hash`` is the
    fingerprint of the terms as first entered, which the workbook may not change afterwards."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[Code] = mapped_column(unique=True)
    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"), index=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)  # 我的任务
    customer_name: Mapped[Name]
    customer_phone: Mapped[str] = mapped_column(String(20))
    rep_name: Mapped[Name]
    rep_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)  # 我的任务
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
    owner_conflict: Mapped[bool] = mapped_column(default=False)  # 置业顾问 is not the customer's owner
    ended_date: Mapped[dt.date | None]
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    workbook_id: Mapped[int | None] = mapped_column(ForeignKey("workbook.id"), index=True)
    row_hash: Mapped[str | None] = mapped_column(String(32))
    core_hash: Mapped[str | None] = mapped_column(String(32))


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
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    workbook_id: Mapped[int | None] = mapped_column(ForeignKey("workbook.id"), index=True)
    row_hash: Mapped[str | None] = mapped_column(String(32))
    core_hash: Mapped[str | None] = mapped_column(String(32))


class SpecialTransaction(Base):
    """换房 / 退房 / 更名 / 变更付款方案 / 变更折扣, each with an approval number and a reason.

    The ``old_*`` columns keep the terms the transaction replaced (for 换房明细表 and 退房明细表);
    ``finance_*`` record when site finance confirmed it had done its part (§2.3, §5)."""

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
    old_room_code: Mapped[str | None] = mapped_column(String(64))
    old_status: Mapped[str | None] = mapped_column(String(8))
    old_customer_name: Mapped[str | None] = mapped_column(String(200))
    old_customer_phone: Mapped[str | None] = mapped_column(String(20))
    old_plan_code: Mapped[str | None] = mapped_column(String(64))
    old_discount_codes: Mapped[str | None] = mapped_column(String(400))
    old_total_price: Mapped[Money | None]
    old_area: Mapped[Area | None]  # the deal's area before a 换房 or 变更折扣 re-priced it
    finance_acknowledged_at: Mapped[dt.datetime | None]
    finance_date: Mapped[dt.date | None]
    finance_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    finance_version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"), index=True)
    finance_note: Mapped[str | None] = mapped_column(Text)
    # 销控 confirms the transaction complete once finance has done its part (换房 / 退房 / 更名)
    control_confirmed_at: Mapped[dt.datetime | None]
    control_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    workbook_id: Mapped[int | None] = mapped_column(ForeignKey("workbook.id"), index=True)
    row_hash: Mapped[str | None] = mapped_column(String(32))
