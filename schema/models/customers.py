"""Customers and what happens to them (docs/domain.md §2.2, §3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, Code, Money, Name, now
from schema.models.org import Account


class Customer(Base):
    """A customer, identified by the normalised mobile number (and 证件号码 where given).

    ``owner_id`` is the account whose accepted workbook version first contained the customer and
    ``owned_since`` the moment the system first saw that version (撞单 rule).
    """

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[Name]
    other_phone: Mapped[str | None] = mapped_column(String(40))
    id_type: Mapped[str | None] = mapped_column(String(16))
    id_number: Mapped[str | None] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(16))
    first_contact_date: Mapped[dt.date]
    intended_project: Mapped[str | None] = mapped_column(String(200))
    intended_layout: Mapped[str | None] = mapped_column(String(200))
    intended_area: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    budget: Mapped[Money | None]
    note: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    owned_since: Mapped[dt.datetime]
    first_version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    row_hash: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)

    owner: Mapped[Account] = relationship(foreign_keys=[owner_id])


class CustomerEvent(Base):
    """A call, visit or follow-up; keyed by customer, time and type."""

    __tablename__ = "customer_event"
    __table_args__ = (UniqueConstraint("customer_id", "at", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # looked up through the unique (customer_id, at, kind) index, whose first column it is
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime]
    content: Mapped[str | None] = mapped_column(Text)
    next_follow_up: Mapped[dt.date | None]
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    row_hash: Mapped[str] = mapped_column(String(32))


class Collision(Base):
    """撞单: a second rep entered a customer someone else already owns."""

    __tablename__ = "collision"
    __table_args__ = (UniqueConstraint("customer_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    owner_since: Mapped[dt.datetime]
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"), index=True)
    detected_at: Mapped[dt.datetime] = mapped_column(default=now)
    status: Mapped[str] = mapped_column(String(16), default="open")
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    settled_at: Mapped[dt.datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship()
    account: Mapped[Account] = relationship(foreign_keys=[account_id])
    owner: Mapped[Account] = relationship(foreign_keys=[owner_id])


class Questionnaire(Base):
    """成交问卷, one per subscription."""

    __tablename__ = "questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_no: Mapped[Code] = mapped_column(unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    purpose: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(200))
    residence_area: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(200))
    family: Mapped[str | None] = mapped_column(String(200))
    filled_date: Mapped[dt.date]
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    row_hash: Mapped[str] = mapped_column(String(32))


class Reassignment(Base):
    """A customer moved to another rep by a manager, with the reason: a dormant customer reassigned,
    or a 撞单 settled in favour of the rep who entered it."""

    __tablename__ = "reassignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)  # 我的任务
    from_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    to_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    by_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=now)
