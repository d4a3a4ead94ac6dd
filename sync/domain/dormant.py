"""Dormant customers a page at a time, in SQL.

The rule is :meth:`sync.domain.ownership.Idle.dormant`: 14 days or more (Beijing days) since the
owner's own last event or the customer's last reassignment, whichever is later, and no live deal.
Here it is one query — the last event and the last reassignment per customer as grouped subqueries,
the day boundary as one instant — so a region of 100k customers is counted and cut by the database
and only the page's rows become objects. ``tests/web/test_dormant_list.py`` checks that it finds
exactly the customers the rule in Python finds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.orm import selectinload

from schema.base import SHANGHAI
from schema.models import Account, Customer, CustomerEvent, Reassignment, Subscription
from schema.models.deals import LIVE
from sync.domain.ownership import DORMANT_DAYS

_NEVER = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def dormant_query(region_id: int | None, today: dt.date) -> tuple[Select[Any], dict[str, Any]]:
    """The dormant customers of a region's reps (every region's for None) on ``today``: a query of
    ``(Customer, last event, last reassignment)``, and its sortable columns (``phone``, ``name``,
    ``idle``: longest idle first when ascending)."""
    last = (
        select(CustomerEvent.customer_id, func.max(CustomerEvent.at).label("at"))
        .join(Customer, Customer.id == CustomerEvent.customer_id)
        .where(CustomerEvent.account_id == Customer.owner_id)  # only the owner's own events count
        .group_by(CustomerEvent.customer_id)
        .subquery()
    )
    moved = (
        select(Reassignment.customer_id, func.max(Reassignment.at).label("at"))
        .group_by(Reassignment.customer_id)
        .subquery()
    )
    # idle days ≥ 14 ⇔ the later of the two fell before the start of (today − 13) in Beijing
    bound = dt.datetime.combine(today - dt.timedelta(days=DORMANT_DAYS - 1), dt.time(), tzinfo=SHANGHAI)
    last_at = func.coalesce(last.c.at, literal(_NEVER, last.c.at.type))
    moved_at = func.coalesce(moved.c.at, literal(_NEVER, moved.c.at.type))
    since = case((moved_at > last_at, moved_at), else_=last_at)
    stmt = (
        select(Customer, last.c.at, moved.c.at)
        .outerjoin(last, last.c.customer_id == Customer.id)
        .outerjoin(moved, moved.c.customer_id == Customer.id)
        .where((last.c.at.is_not(None)) | (moved.c.at.is_not(None)))
        .where(last_at < bound, moved_at < bound)
        .where(Customer.id.not_in(select(Subscription.customer_id).where(Subscription.status.in_(LIVE))))
        .options(selectinload(Customer.owner))
    )
    if region_id is not None:
        stmt = stmt.where(Customer.owner_id.in_(select(Account.id).where(Account.region_id == region_id)))
    order = {"idle": since, "phone": Customer.phone, "name": Customer.name, "id": Customer.id}
    return stmt, order
