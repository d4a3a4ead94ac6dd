"""Sales service (docs/domain.md §2.5): measured-area true-up and move-in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Area, Base, Code, Money


class AreaTrueUp(Base):
    """面积补差 per 商品房销售管理办法 第二十条; the split is stored, not recomputed on display.

    ``basis`` is the project's pricing area (建筑面积 / 套内面积, or 按套: no true-up, amounts
    null); ``contract_area`` and ``measured_area`` are on that basis; ``error_ratio`` is a fraction
    (0.03 = 3%). ``amount`` is what the buyer owes (+) or is owed (−): buyer_pays − refund − double_refund.
    """

    __tablename__ = "area_true_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), unique=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    measured_gross: Mapped[Area]
    measured_inner: Mapped[Area]
    survey_date: Mapped[dt.date]
    report_no: Mapped[str | None] = mapped_column(String(64))
    basis: Mapped[str | None] = mapped_column(String(16))
    contract_area: Mapped[Area | None]
    measured_area: Mapped[Area | None]
    unit_price: Mapped[Money | None]
    error_ratio: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    buyer_pays: Mapped[Money | None]
    developer_bears: Mapped[Money | None]
    refund: Mapped[Money | None]
    double_refund: Mapped[Money | None]
    amount: Mapped[Money | None]
    buyer_may_cancel: Mapped[bool] = mapped_column(default=False)
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    row_hash: Mapped[str | None] = mapped_column(String(32))


class MoveIn(Base):
    """入伙."""

    __tablename__ = "move_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_code: Mapped[Code] = mapped_column(ForeignKey("room.code"), unique=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id"))
    date: Mapped[dt.date]
    handler: Mapped[str | None] = mapped_column(String(200))
    keys_delivered: Mapped[bool | None]
    note: Mapped[str | None] = mapped_column(Text)
    outstanding: Mapped[Money | None]  # the balance still owed when the keys were handed over
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    row_hash: Mapped[str | None] = mapped_column(String(32))
