"""What a change set does, in the words a signer decides on: rooms added, removed and re-priced, the
change of the total value, and the live deals on the rooms it touches — read before the diff itself."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Subscription
from schema.models.audit import ChangeItem
from schema.models.deals import LIVE
from sync.kinds import get_kind

PRICE_FIELDS = ("unit_price", "total_price")


def _money(text: object) -> Decimal:
    try:
        return Decimal(str(text).replace(",", "")) if text not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


@dataclass(frozen=True)
class Summary:
    rooms_added: int = 0
    rooms_removed: int = 0
    rooms_repriced: int = 0
    value_change: Decimal = Decimal(0)  # the sum of 总价 after minus before
    deals_touched: list[str] = field(default_factory=list)  # live 认购编号 on re-priced or removed rooms
    rows_added: int = 0
    rows_changed: int = 0
    rows_removed: int = 0


def summarize(session: Session, items: list[ChangeItem]) -> Summary:
    """The summary of a change set's items (as submitted)."""
    total_header = get_kind("project_master").sheet("room").header("total_price")
    added = [i for i in items if i.entity == "room" and i.op == "add"]
    removed = [i for i in items if i.entity == "room" and i.op == "remove"]
    repriced = {i.key for i in items if i.entity == "room" and i.op == "change" and i.field in PRICE_FIELDS}
    value = sum((_money(json.loads(i.new or "{}").get(total_header)) for i in added), Decimal(0))
    value -= sum((_money(json.loads(i.old or "{}").get(total_header)) for i in removed), Decimal(0))
    for i in items:
        if i.entity == "room" and i.op == "change" and i.field == "total_price":
            value += _money(i.new) - _money(i.old)
    touched_rooms = repriced | {i.key for i in removed}
    deals = (
        list(
            session.scalars(
                select(Subscription.no)
                .where(Subscription.room_code.in_(sorted(touched_rooms)), Subscription.status.in_(LIVE))
                .order_by(Subscription.no)
            )
        )
        if touched_rooms
        else []
    )
    keys = {op: len({(i.entity, i.key) for i in items if i.op == op}) for op in ("add", "change", "remove")}
    return Summary(
        len({i.key for i in added}),
        len({i.key for i in removed}),
        len(repriced),
        value,
        deals,
        keys["add"],
        keys["change"],
        keys["remove"],
    )
