"""Project master data (docs/domain.md §2.1): projects, buildings, rooms, payment plans, discounts.

Rows removed by a change set are kept with ``removed_at`` set: master data is never erased.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Area, Base, Code, Money, Name


class MasterRow:
    """Columns every master-data row carries: provenance and soft removal."""

    version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    removed_at: Mapped[dt.datetime | None]


class Project(MasterRow, Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    region_code: Mapped[Code] = mapped_column(ForeignKey("region.code"))
    pricing_basis: Mapped[str] = mapped_column(String(16))
    open_date: Mapped[dt.date | None]


class Building(MasterRow, Base):
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("project_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"))
    compound: Mapped[Name]
    code: Mapped[Code]
    name: Mapped[Name]
    floors: Mapped[int]
    units: Mapped[int]
    open_date: Mapped[dt.date | None]


class Room(MasterRow, Base):
    """A saleable room; ``status`` is the live sales status, ``initial_status`` what master data set."""

    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"), index=True)
    building_code: Mapped[Code]
    unit: Mapped[str] = mapped_column(String(16))
    floor: Mapped[int]
    number: Mapped[str] = mapped_column(String(32))
    layout: Mapped[Name]
    orientation: Mapped[str] = mapped_column(String(32))
    area_gross: Mapped[Area]
    area_inner: Mapped[Area]
    area_shared: Mapped[Area]
    unit_price: Mapped[Money | None]
    total_price: Mapped[Money]
    initial_status: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))


class PaymentPlan(MasterRow, Base):
    __tablename__ = "payment_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"))
    name: Mapped[Name]
    method: Mapped[str] = mapped_column(String(16))
    deposit: Mapped[Money]
    sign_within_days: Mapped[int]
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]


class PaymentPlanLine(MasterRow, Base):
    """One instalment: either a ratio of the deal's total price or a fixed amount."""

    __tablename__ = "payment_plan_line"
    __table_args__ = (UniqueConstraint("plan_code", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_code: Mapped[Code] = mapped_column(ForeignKey("payment_plan.code"))
    seq: Mapped[int]
    category: Mapped[str] = mapped_column(String(16))
    ratio: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    amount: Mapped[Money | None]
    due_days: Mapped[int]


class Discount(MasterRow, Base):
    __tablename__ = "discount"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"))
    name: Mapped[Name]
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    stackable: Mapped[bool] = mapped_column(default=False)
