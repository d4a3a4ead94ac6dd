"""Customer ownership after first entry (docs/domain.md §3): the sales manager settles collisions (撞单)
and reassigns dormant customers.

Who may act is decided here, once, for the command line and the portal: an active 销售经理,
市场营销部高级经理 or 地区总经理, inside their own region. A collision belongs to the region of
the rep who entered it (as in 我的任务), a customer to its owner's region.

Every change of owner is a work-log entry (entity ``customer``, key the phone, field ``owner``,
old → new username, with the reason) and a :class:`Reassignment` row, so that the former owner's
next save of their 客户登记 checks that customer again and is told who owns it now.

The dormant rule lives here alone (:meth:`Idle.dormant`): 14 days without a customer event and not
in a live deal; a customer just given to a new rep has those 14 days afresh. 我的任务, the command
line and the portal's 客户归属 page all list through :func:`dormant_customers`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from schema.base import SHANGHAI, now
from schema.models import Account, AccountRole, Collision, Customer, CustomerEvent, Reassignment, Subscription
from schema.models.deals import LIVE
from schema.roles import Capability, Role, holders
from sync.core.errors import OwnershipRefused
from sync.domain.accounts import get_account
from sync.domain.worklog import LogWriter
from validators.phones import mobile_text

#: who settles collisions and reassigns dormant customers, in their own region
MANAGERS = holders(Capability.SETTLE_OWNERSHIP)
DORMANT_DAYS = 14  # docs/domain.md §3: after 14 days without an event a customer is dormant
OPEN, SETTLED, TRANSFERRED = "open", "settled", "transferred"
#: how a settled collision reads
OUTCOMES = {
    SETTLED: ("维持原归属", "owner kept"),
    TRANSFERRED: ("转给录入人", "given to the rep who entered it"),
}
#: refusals that are about permission rather than input
FORBIDDEN = frozenset({"not-manager", "disabled", "collision-other-region", "customer-other-region"})


def _refused(code: str, **params: Any) -> OwnershipRefused:
    return OwnershipRefused(code, **params)


def _shanghai(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def manager(session: Session, username: str) -> Account:
    """The acting account, if it may settle and reassign in its region; otherwise refused."""
    actor = get_account(session, username)
    if not actor.active:
        raise _refused("disabled", account=username)
    if not actor.can(Capability.SETTLE_OWNERSHIP) or actor.region is None:
        raise _refused("not-manager", account=username)
    return actor


def reps(session: Session, actor: Account) -> list[Account]:
    """The active sales reps of ``actor``'s region: whom a dormant customer may go to."""
    stmt = (
        select(Account)
        .join(AccountRole, AccountRole.account_id == Account.id)
        .where(Account.active, Account.region_id == actor.region_id, AccountRole.role == Role.SALES_REP.value)
        .distinct()
        .order_by(Account.username)
    )
    return list(session.scalars(stmt))


# -- collisions (撞单) ------------------------------------------------------------------------------


def open_collisions_query(actor: Account | None) -> Select[Collision]:
    """The query of ``open_collisions``, unordered, joined to the customer (a list pages, searches and
    sorts it in SQL)."""
    stmt = (
        select(Collision)
        .join(Customer, Customer.id == Collision.customer_id)
        .where(Collision.status == OPEN)
        .options(
            selectinload(Collision.customer).selectinload(Customer.owner), selectinload(Collision.account)
        )
    )
    if actor is not None and actor.region_id is not None:
        stmt = stmt.join(Account, Account.id == Collision.account_id).where(
            Account.region_id == actor.region_id
        )
    return stmt


def open_collisions(session: Session, actor: Account | None) -> list[Collision]:
    """The open collisions of ``actor``'s region (entered by its reps), oldest first; every region's
    for None."""
    return list(session.scalars(open_collisions_query(actor).order_by(Collision.id)))


def settle_collision(
    session: Session, collision_id: int, username: str, *, transfer: bool, note: str | None = None
) -> Collision:
    """Keep the owner (status ``settled``) or give the customer to the rep who entered it (status
    ``transferred``, a note required); who and when are recorded and logged either way."""
    actor = manager(session, username)
    collision = session.get(Collision, collision_id, with_for_update=True)
    if collision is None:
        raise _refused("collision-unknown", id=collision_id)
    if collision.account.region_id != actor.region_id:
        raise _refused("collision-other-region", id=collision_id, region=_region(actor))
    if collision.status != OPEN:
        by = session.get(Account, collision.settled_by_id) if collision.settled_by_id else None
        zh, en = OUTCOMES.get(collision.status, (collision.status, collision.status))
        at = _shanghai(collision.settled_at) if collision.settled_at else "—"
        raise _refused(
            "collision-settled",
            id=collision_id,
            at=at,
            by=by.username if by else "—",
            outcome=zh,
            outcome_en=en,
        )
    text = (note or "").strip()
    customer, rep = collision.customer, collision.account
    log = LogWriter(session, actor.id)
    if transfer:
        if not text:
            raise _refused("note-required")
        if not rep.active:
            raise _refused("rep-disabled", rep=rep.username)
        if customer.owner_id == rep.id:
            raise _refused("already-owner", customer=customer.name, phone=customer.phone, rep=rep.username)
        if customer.owner.region_id != actor.region_id:
            raise _refused(
                "owner-other-region",
                customer=customer.name,
                phone=customer.phone,
                owner=customer.owner.username,
            )
        _move(session, log, actor, customer, rep, text, collision=collision.id)
    collision.status = TRANSFERRED if transfer else SETTLED
    collision.settled_by_id, collision.settled_at, collision.resolution = actor.id, now(), text or None
    log.append(
        "collision",
        str(collision.id),
        "change",
        field="status",
        old=OPEN,
        new=collision.status,
        detail={"phone": customer.phone, "rep": rep.username, "owner": customer.owner.username, "note": text},
    )
    return collision


def _region(actor: Account) -> str:
    return actor.region.code if actor.region else "—"


@dataclass(frozen=True)
class Moved:
    """A customer given to another rep: from whom, to whom, and the kept record."""

    customer: Customer
    before: Account
    after: Account
    record: Reassignment


def _move(
    session: Session, log: LogWriter, actor: Account, customer: Customer, to: Account, reason: str, **why: Any
) -> Moved:
    """Give ``customer`` to ``to`` from now on, recorded and logged with the reason."""
    before, at = customer.owner, now()
    customer.owner, customer.owned_since, customer.updated_at = to, at, at
    moved = Reassignment(
        customer_id=customer.id,
        from_account_id=before.id,
        to_account_id=to.id,
        by_account_id=actor.id,
        reason=reason,
        at=at,
    )
    session.add(moved)
    log.append(
        "customer",
        customer.phone,
        "change",
        field="owner",
        old=before.username,
        new=to.username,
        detail={"reason": reason, **why},
    )
    return Moved(customer, before, to, moved)


# -- dormant customers (休眠客户) -----------------------------------------------------------------


@dataclass(frozen=True)
class Idle:
    """A customer with the time of its last event, of its last reassignment, and whether it is in a
    live deal. A reassigned customer's new rep has a fresh 14 days: the idle time counts from the
    later of the two."""

    customer: Customer
    last_event: dt.datetime | None
    buying: bool
    reassigned_at: dt.datetime | None = None

    @property
    def last_day(self) -> dt.date | None:
        return _day(self.last_event)

    @property
    def since(self) -> dt.date | None:
        """The day the idle time counts from: the last event's, or a later reassignment's."""
        moved = _day(self.reassigned_at)
        if moved is None:
            return self.last_day
        if self.last_day is None:  # the new owner has no event yet: the reassignment's day
            return moved
        return max(self.last_day, moved)

    def idle_days(self, today: dt.date) -> int | None:
        return (today - self.since).days if self.since is not None else None

    @property
    def dormant_from(self) -> dt.date | None:
        return self.since + dt.timedelta(days=DORMANT_DAYS) if self.since is not None else None

    def dormant(self, today: dt.date) -> bool:
        """The rule: 14 days or more without an event (or since a reassignment), and not buying."""
        days = self.idle_days(today)
        return not self.buying and days is not None and days >= DORMANT_DAYS


def _day(at: dt.datetime | None) -> dt.date | None:
    return at.astimezone(SHANGHAI).date() if at is not None else None


def last_events(
    session: Session,
    owner_ids: Select[Any] | None,
    customer_id: int | None = None,
    before: dt.datetime | None = None,
) -> list[tuple[Customer, dt.datetime | None]]:
    """Customers (of the owners ``owner_ids`` selects, or one) with the time of their last event
    (before ``before``, when given: a report's view at the end of its period)."""
    # only the owner's own events keep a customer from going dormant (a colliding rep's do not)
    events = (
        select(CustomerEvent.customer_id, func.max(CustomerEvent.at).label("last"))
        .join(Customer, Customer.id == CustomerEvent.customer_id)
        .where(CustomerEvent.account_id == Customer.owner_id)
    )
    if before is not None:
        events = events.where(CustomerEvent.at < before)
    last = events.group_by(CustomerEvent.customer_id).subquery()
    stmt = select(Customer, last.c.last).outerjoin(last, last.c.customer_id == Customer.id)
    if owner_ids is not None:
        stmt = stmt.where(Customer.owner_id.in_(owner_ids))
    if customer_id is not None:
        stmt = stmt.where(Customer.id == customer_id)
    return [(c, at) for c, at in session.execute(stmt.order_by(Customer.phone))]


def idle_customers(
    session: Session,
    owner_ids: Select[Any] | None,
    customer_id: int | None = None,
    before: dt.datetime | None = None,
) -> list[Idle]:
    found = last_events(session, owner_ids, customer_id, before)
    buying = set(session.scalars(select(Subscription.customer_id).where(Subscription.status.in_(LIVE))))
    latest = select(Reassignment.customer_id, func.max(Reassignment.at)).group_by(Reassignment.customer_id)
    moved = {customer: at for customer, at in session.execute(latest)}
    return [Idle(c, at, c.id in buying, moved.get(c.id)) for c, at in found]


def dormant_customers(session: Session, region_id: int | None, today: dt.date) -> list[Idle]:
    """The dormant customers on ``today`` owned by the reps of a region (every region's for None)."""
    owners = select(Account.id)
    if region_id is not None:
        owners = owners.where(Account.region_id == region_id)
    return [i for i in idle_customers(session, owners) if i.dormant(today)]


def find_customer(session: Session, phone: str) -> Customer:
    """The customer of a phone as anyone types it (spaces, +86, full width); otherwise refused."""
    typed = phone.strip()
    normal = mobile_text(typed) or typed
    found = session.scalar(select(Customer).where(Customer.phone == normal).with_for_update())
    if found is None:
        raise _refused("customer-unknown", phone=typed)
    return found


def reassign_customer(
    session: Session,
    phone: str,
    username: str,
    to_username: str,
    reason: str,
    *,
    today: dt.date | None = None,
) -> Moved:
    """Give a dormant customer of the manager's region to another active rep of that region, with
    the reason. Open collisions of the customer stay open."""
    actor = manager(session, username)
    customer = find_customer(session, phone)
    if customer.owner.region_id != actor.region_id:
        raise _refused("customer-other-region", phone=customer.phone, region=_region(actor))
    said = {"customer": customer.name, "phone": customer.phone}
    text = reason.strip()
    if not text:
        raise _refused("reason-required")
    to = session.scalar(select(Account).where(Account.username == to_username))
    if to is None:
        raise _refused("to-unknown", to=to_username)
    if not (to.active and to.holds(Role.SALES_REP) and to.region_id == actor.region_id):
        raise _refused("to-not-rep", to=to_username, region=_region(actor))
    if to.id == customer.owner_id:
        raise _refused("to-owner", to=to_username, **said)
    day = today or dt.datetime.now(SHANGHAI).date()
    idle = idle_customers(session, None, customer.id)[0]
    if idle.buying:
        raise _refused("buying", **said)
    if not idle.dormant(day):
        if idle.since is not None and idle.since != idle.last_day:
            raise _refused("recently-reassigned", day=idle.since, days=DORMANT_DAYS, **said)
        raise _refused("not-dormant", day=idle.last_day or "—", days=DORMANT_DAYS, **said)
    detail = {"last_event": idle.last_day, "idle_days": idle.idle_days(day)}
    return _move(session, LogWriter(session, actor.id), actor, customer, to, text, **detail)
