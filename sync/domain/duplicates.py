"""查重 and 我的客户 (docs/domain.md §3): what a sales rep may learn about a phone or an ID number before
entering a customer, and the rep's own customers with what is due.

A customer belongs to whoever entered it first. Before a rep types a customer in, they may ask whether
the phone or the ID number is already someone's: the answer names only the owner and the date they
entered it (never the customer's name, phone or notes) — and a rep of another region learns only that
the customer is already registered. The ID number is matched as 证件号码 is stored (folded, upper-case).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import Account, Collision, Customer, CustomerEvent
from sync.domain import ownership
from sync.domain.accounts import get_account
from validators.normalize import fold, mobile

FOLLOW_UP_DAYS = 5  # the 跟进 rule of 我的任务: five days since the last event
DORMANT_SOON = 3  # days before dormancy that 我的客户 warns of


@dataclass(frozen=True)
class Registered:
    """The answer of 查重: whether the customer exists, and as much as the asker may know of it."""

    typed: str
    known: bool  # the phone or ID is someone's customer already
    valid: bool = True  # the typed value is a phone or an ID number at all
    mine: bool = False  # it is the asker's own customer
    same_region: bool = False  # its owner works in the asker's region: owner and date are shown
    owner: str | None = None  # the owner's display name (same region only)
    since: dt.date | None = None  # when the owner entered it (same region only)


def normal_phone(typed: str) -> str | None:
    return mobile(pa.array([typed.strip()], pa.string())).values[0].as_py()


def normal_id(typed: str) -> str | None:
    folded = fold(pa.array([typed.strip()], pa.string()))[0].as_py()
    return folded.replace(" ", "").upper() if folded else None


def check(session: Session, username: str, typed: str) -> Registered:
    """Is the phone or the ID number ``typed`` someone's customer, and whose (as far as the asker may
    know)?"""
    asker = get_account(session, username)
    phone = normal_phone(typed)
    id_number = normal_id(typed) if phone is None else None
    if phone is None and (id_number is None or len(id_number) < 15):
        return Registered(typed, known=False, valid=False)
    stmt = select(Customer).where(
        or_(Customer.phone == phone, Customer.other_phone == phone)
        if phone is not None
        else Customer.id_number == id_number
    )
    found = session.scalars(stmt.order_by(Customer.owned_since).limit(1)).first()
    if found is None:
        return Registered(typed, known=False)
    owner = session.get(Account, found.owner_id)
    if found.owner_id == asker.id:
        return Registered(
            typed, True, mine=True, same_region=True, owner=asker.display_name, since=_day(found)
        )
    same = owner is not None and asker.region_id is not None and owner.region_id == asker.region_id
    if not same:
        return Registered(typed, True)
    assert owner is not None
    return Registered(typed, True, same_region=True, owner=owner.display_name, since=_day(found))


def _day(customer: Customer) -> dt.date:
    return customer.owned_since.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class MyCustomer:
    """One of the rep's customers with its last event and what is due about it."""

    idle: ownership.Idle
    today: dt.date

    @property
    def customer(self) -> Customer:
        return self.idle.customer

    @property
    def follow_up_due(self) -> dt.date | None:
        day = self.idle.last_day
        return day + dt.timedelta(days=FOLLOW_UP_DAYS) if day is not None else None

    @property
    def follow_up_overdue(self) -> bool:
        due = self.follow_up_due
        return due is not None and due <= self.today and not self.idle.buying

    @property
    def dormant_in(self) -> int | None:
        """Days until the customer turns dormant (0: dormant now); None while buying."""
        start = self.idle.dormant_from
        if start is None or self.idle.buying:
            return None
        return max((start - self.today).days, 0)

    @property
    def dormant_soon(self) -> bool:
        left = self.dormant_in
        return left is not None and left <= DORMANT_SOON


def my_customers(session: Session, username: str, today: dt.date | None = None) -> list[MyCustomer]:
    """The rep's customers with their last event, follow-up due and dormancy."""
    account = get_account(session, username)
    day = today or dt.datetime.now(SHANGHAI).date()
    owners = select(Account.id).where(Account.id == account.id)
    return [MyCustomer(i, day) for i in ownership.idle_customers(session, owners)]


@dataclass(frozen=True)
class Side:
    """One rep's record of a collided customer: their events (how many, the first and the last)."""

    events: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """What the manager weighs when settling a collision: each rep's events, side by side, and the owner's
    first-contact date."""

    first_contact: dt.date
    owner: Side
    entered_by: Side


def collision_evidence(session: Session, collisions: list[Collision]) -> dict[int, Evidence]:
    """The evidence of each collision shown (one query for all of them)."""
    if not collisions:
        return {}
    customer_ids = {c.customer_id for c in collisions}
    rows = session.execute(
        select(CustomerEvent.customer_id, CustomerEvent.account_id, CustomerEvent.kind, CustomerEvent.at)
        .where(CustomerEvent.customer_id.in_(customer_ids))
        .order_by(CustomerEvent.at)
    )
    by: dict[tuple[int, int], list[tuple[str, dt.datetime]]] = {}
    for customer_id, account_id, kind, at in rows:
        by.setdefault((customer_id, account_id), []).append((kind, at))

    def side(customer_id: int, account_id: int) -> Side:
        found = by.get((customer_id, account_id), [])
        if not found:
            return Side()
        return Side(len(found), found[0][1], found[-1][1], tuple(dict.fromkeys(k for k, _ in found)))

    return {
        c.id: Evidence(
            c.customer.first_contact_date, side(c.customer_id, c.owner_id), side(c.customer_id, c.account_id)
        )
        for c in collisions
    }
