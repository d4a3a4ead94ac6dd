"""Sales service (DOMAIN.md §2.5): measured-area true-up and move-in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Area, Base, Code, Money


class AreaTrueUp(Base):
    """面积补差 per 商品房销售管理办法 第二十条; the split is stored, not recomputed on display."""

    __tablename__ = "area_true_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), unique=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    measured_gross: Mapped[Area]
    measured_inner: Mapped[Area]
    survey_date: Mapped[dt.date]
    report_no: Mapped[str | None] = mapped_column(String(64))
    error_ratio: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    buyer_pays: Mapped[Money | None]
    developer_bears: Mapped[Money | None]
    refund: Mapped[Money | None]
    double_refund: Mapped[Money | None]
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))


class MoveIn(Base):
    """入伙."""

    __tablename__ = "move_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), unique=True)
    date: Mapped[dt.date]
    handler: Mapped[str | None] = mapped_column(String(200))
    keys_delivered: Mapped[bool | None]
    note: Mapped[str | None] = mapped_column(Text)
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
