"""A deal's price on the project's pricing basis: the room's list price after the named discounts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import DealDiscount, Discount, PaymentPlan, Project, Room
from sync.core.errors import RowRefused
from sync.domain.trueup import cents

PRICE_TOLERANCE = Decimal("1.00")
AREA_TOLERANCE = Decimal("0.01")
SEPARATORS = re.compile(r"[,，、;；\s]+")


def parse_codes(text: str | None) -> list[str]:
    return [c for c in SEPARATORS.split(text or "") if c]


def join_codes(codes: list[str]) -> str | None:
    return ",".join(codes) or None


def basis_area(project: Project, room: Room) -> Decimal | None:
    """The area the project prices by (None for 按套)."""
    if project.pricing_basis == "套内面积":
        return room.area_inner
    if project.pricing_basis == "建筑面积":
        return room.area_gross
    return None


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "不限"


def _valid(day: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def valid_plan(session: Session, code: str, project: str, day: dt.date, field: str) -> PaymentPlan:
    plan = session.scalar(select(PaymentPlan).where(PaymentPlan.code == code))
    return check_plan(plan, project, day, field)


def check_plan(plan: PaymentPlan | None, project: str, day: dt.date, field: str) -> PaymentPlan:
    """The plan as looked up (``None`` when unknown), checked: live, of ``project``, valid on ``day``."""
    if plan is None or plan.removed_at is not None:
        raise RowRefused("unknown-plan", field)
    if plan.project_code != project:
        raise RowRefused("plan-other-project", field, project=plan.project_code)
    if not _valid(day, plan.valid_from, plan.valid_to):
        raise RowRefused(
            "plan-not-valid", field, day=day.isoformat(), start=_day(plan.valid_from), end=_day(plan.valid_to)
        )
    return plan


def valid_discounts(
    session: Session, codes: list[str], project: str, day: dt.date, field: str
) -> list[Discount]:
    """The named discounts, each of the project and valid on ``day``; several only if all stack."""
    found = {d.code: d for d in session.scalars(select(Discount).where(Discount.code.in_(codes)))}
    return check_discounts(found, codes, project, day, field)


def check_discounts(
    found: Mapping[str, Discount], codes: list[str], project: str, day: dt.date, field: str
) -> list[Discount]:
    """:func:`valid_discounts` over discounts already looked up by code (a version's in one query)."""
    out = []
    for code in codes:
        discount = found.get(code)
        if discount is None or discount.removed_at is not None:
            raise RowRefused("unknown-discount", field, discount=code)
        if discount.project_code != project:
            raise RowRefused("discount-other-project", field, discount=code, project=discount.project_code)
        if not _valid(day, discount.valid_from, discount.valid_to):
            raise RowRefused(
                "discount-not-valid",
                field,
                discount=code,
                day=day.isoformat(),
                start=_day(discount.valid_from),
                end=_day(discount.valid_to),
            )
        out.append(discount)
    if len(out) > 1 and not all(d.stackable for d in out):
        raise RowRefused(
            "discount-not-stackable", field, codes="、".join(d.code for d in out if not d.stackable)
        )
    return out


def discounted(list_price: Decimal, discounts: Sequence[Discount | DealDiscount]) -> Decimal:
    """The list price after the discounts in the order named: 比例 multiplies, 减免金额 subtracts."""
    price = list_price
    for discount in discounts:
        price = price * discount.value if discount.kind == "比例" else price - discount.value
    return cents(price)


def check_price(
    room: Room, discounts: Sequence[Discount | DealDiscount], total: Decimal, field: str
) -> Decimal:
    """成交总价 must equal the room's list price after the discounts (±1 CNY); returns the expected."""
    expected = discounted(room.total_price, discounts)
    if abs(total - expected) > PRICE_TOLERANCE:
        raise RowRefused(
            "deal-price",
            field,
            room=room.code,
            list_price=f"{room.total_price:,.2f}",
            discounts="、".join(d.name for d in discounts) or "无",
            expected=f"{expected:,.2f}",
        )
    return expected


def check_area(project: Project, room: Room, area: Decimal, field: str) -> None:
    expected = basis_area(project, room)
    if expected is not None and abs(area - expected) > AREA_TOLERANCE:
        raise RowRefused("deal-area", field, basis=project.pricing_basis, expected=f"{expected:.2f}")


def unit_price(total: Decimal, area: Decimal) -> Decimal:
    return cents(total / area)
