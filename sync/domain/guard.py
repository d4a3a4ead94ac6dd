"""Master data never orphans a deal: a change set may not remove, re-price or re-measure a room
under a live 认购/签约, nor remove a payment plan or discount a live deal uses. Checked when the
workbook becomes a change set (the signers never see such a change) and again when it applies
(a deal may have been made in between). A price change for future sales reaches only rooms
without a live deal; a deal keeps its own copy of its plan and discounts (``sync.domain.terms``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from schema.models import ChangeItem, DealDiscount, Subscription
from schema.models.deals import LIVE
from sync.kinds.project_master import KIND
from validators.findings import Finding

#: room fields a live deal was priced on
PRICED = ("total_price", "unit_price", "area_gross", "area_inner", "area_shared")


@dataclass(frozen=True)
class Orphan:
    """One change item that would reach into a live deal."""

    code: str  # the finding code
    entity: str
    key: str
    field: str | None
    deal: str  # the 认购编号
    sheet: str
    row: int | None

    def finding(self) -> Finding:
        sheet = KIND.sheet(self.entity)
        header = sheet.header(self.field) if self.field else sheet.header(sheet.key[0])
        return Finding(
            self.code, sheet.name, self.row, header, self.key, {"deal": self.deal, "key": self.key}
        )

    def describe(self) -> str:
        return f"{self.sheet} {self.key}（认购编号 {self.deal}）"


def _live_by(session: Session, column: InstrumentedAttribute[str], values: set[str]) -> dict[str, str]:
    if not values:
        return {}
    stmt = select(column, Subscription.no).where(column.in_(values), Subscription.status.in_(LIVE))
    return {k: no for k, no in session.execute(stmt)}


class ItemLike(Protocol):
    """What the guard reads of a change item: a stored ``ChangeItem`` or one about to be stored."""

    @property
    def entity(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def field(self) -> str | None: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def row(self) -> int | None: ...


def orphans(session: Session, items: Iterable[ChangeItem] | Iterable[ItemLike]) -> list[Orphan]:
    """The items of a change set that would remove, re-price or re-measure what a live deal holds."""
    items = list(items)
    rooms = {i.key for i in items if i.entity == "room" and (i.op == "remove" or i.field in PRICED)}
    plans = {i.key for i in items if i.entity == "payment_plan" and i.op == "remove"}
    discounts = {i.key for i in items if i.entity == "discount" and i.op == "remove"}
    on_room = _live_by(session, Subscription.room_code, rooms)
    on_plan = _live_by(session, Subscription.plan_code, plans)
    on_discount: dict[str, str] = {}
    if discounts:
        stmt = (
            select(DealDiscount.code, Subscription.no)
            .join(Subscription, Subscription.id == DealDiscount.subscription_id)
            .where(
                DealDiscount.code.in_(discounts),
                DealDiscount.ended_by_id.is_(None),
                Subscription.status.in_(LIVE),
            )
            .order_by(Subscription.no)
        )
        for code, no in session.execute(stmt):
            on_discount.setdefault(code, no)
    out = []
    for item in items:
        found = {"room": on_room, "payment_plan": on_plan, "discount": on_discount}.get(item.entity, {})
        deal = found.get(item.key)
        if deal is None or (item.entity == "room" and item.op == "change" and item.field not in PRICED):
            continue
        if item.entity != "room" and item.op != "remove":
            continue
        found_code = {
            ("room", "remove"): "master-removes-sold-room",
            ("room", "change"): "master-reprices-sold-room",
            ("payment_plan", "remove"): "master-removes-used-plan",
            ("discount", "remove"): "master-removes-used-discount",
        }.get((item.entity, item.op))
        if found_code is None:
            continue
        out.append(Orphan(found_code, item.entity, item.key, item.field, deal, item.sheet or "", item.row))
    return out
