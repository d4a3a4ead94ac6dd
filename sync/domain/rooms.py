"""The room state machine (docs/domain.md §2.3).

    待售 ─恢复可售─► 可售 ⇄ 保留          (保留 / 取消保留; a hold expires after its 保留至 day)
                     可售 ⇄ 不可售        (设为不可售 / 恢复可售)
              可售/保留 ─认购─► 认购 ─签约─► 签约
                  认购/签约 ─退房 or 换出─► 可售;  换入: 可售/保留 ─► the deal's 认购 or 签约

Every transition is a :class:`RoomStatusChange`: who (account, or none when the calendar did it),
when, from which workbook version, the business date and the deal or transaction behind it. A
transition the machine does not allow is refused with a finding code, never applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import Room, RoomControl, RoomStatusChange, Subscription
from schema.models.deals import LIVE
from sync.core.errors import RowRefused

PENDING, AVAILABLE, HELD, UNAVAILABLE, SUBSCRIBED, CONTRACTED = (
    "待售",
    "可售",
    "保留",
    "不可售",
    "认购",
    "签约",
)
STATUSES = (PENDING, AVAILABLE, HELD, UNAVAILABLE, SUBSCRIBED, CONTRACTED)

#: cause → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "保留": (frozenset({AVAILABLE}), HELD),
    "取消保留": (frozenset({HELD}), AVAILABLE),
    "保留到期": (frozenset({HELD}), AVAILABLE),
    "删除保留": (frozenset({HELD}), AVAILABLE),
    "设为不可售": (frozenset({AVAILABLE}), UNAVAILABLE),
    "恢复可售": (frozenset({UNAVAILABLE, PENDING}), AVAILABLE),
    "认购": (frozenset({AVAILABLE, HELD}), SUBSCRIBED),
    "签约": (frozenset({SUBSCRIBED}), CONTRACTED),
    "退房": (frozenset({SUBSCRIBED, CONTRACTED}), AVAILABLE),
    "换出": (frozenset({SUBSCRIBED, CONTRACTED}), AVAILABLE),
    "换入认购": (frozenset({AVAILABLE, HELD}), SUBSCRIBED),
    "换入签约": (frozenset({AVAILABLE, HELD}), CONTRACTED),
}


@dataclass(frozen=True)
class Actor:
    """Who makes a change and from which workbook version (both none for the calendar)."""

    account_id: int | None
    version_id: int | None
    at: dt.datetime = field(default_factory=now)


def get_room(session: Session, code: str, field: str = "room_code") -> Room:
    room = session.scalar(select(Room).where(Room.code == code))
    if room is None or room.removed_at is not None:
        raise RowRefused("unknown-room", field)
    return room


def allowed(cause: str, status: str) -> bool:
    return status in TRANSITIONS[cause][0]


def check_transition(code: str, status: str, cause: str, field: str | None = "room_code") -> str:
    """The status room ``code`` goes to from ``status`` by ``cause``; a move the machine does not allow
    is refused (the one refusal :func:`transition` and the set-based 销控 plan both raise)."""
    starts, to = TRANSITIONS[cause]
    if status not in starts:
        raise RowRefused(
            "room-status",
            field,
            room=code,
            status=status,
            action=cause.removeprefix("换入"),
            allowed="、".join(s for s in STATUSES if s in starts),
        )
    return to


def transition(
    session: Session,
    room: Room,
    cause: str,
    actor: Actor,
    *,
    on: dt.date | None,
    ref: str | None = None,
    field: str | None = "room_code",
) -> RoomStatusChange:
    """Move ``room`` by ``cause``, recording the change; refuse a move the machine does not allow."""
    to = check_transition(room.code, room.status, cause, field)
    change = RoomStatusChange(
        room_code=room.code,
        from_status=room.status,
        to_status=to,
        account_id=actor.account_id,
        version_id=actor.version_id,
        at=actor.at,
        cause=cause,
        business_date=on,
        ref=ref,
    )
    session.add(change)
    room.status = to
    return change


def current_hold(session: Session, room_code: str) -> RoomControl | None:
    """The 保留 the room is under, if any: the latest live hold row."""
    return session.scalar(
        select(RoomControl)
        .where(
            RoomControl.room_code == room_code,
            RoomControl.action == "保留",
            RoomControl.deleted_at.is_(None),
        )
        .order_by(RoomControl.op_date.desc(), RoomControl.id.desc())
        .limit(1)
    )


def expire_hold(session: Session, room: Room, on: dt.date) -> bool:
    """A hold ends with its 保留至 day: on any later day the room is 可售 again (recorded as 保留到期)."""
    if room.status != HELD:
        return False
    hold = current_hold(session, room.code)
    if hold is None or hold.hold_until is None or hold.hold_until >= on:
        return False
    expired_at = dt.datetime.combine(hold.hold_until + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
    transition(
        session,
        room,
        "保留到期",
        Actor(None, hold.version_id, expired_at),
        on=hold.hold_until + dt.timedelta(days=1),
        ref=None,
    )
    return True


def effective_status(session: Session, room: Room, today: dt.date) -> str:
    """The status a room shows today: a hold past its 保留至 shows 可售 even before a later row
    has recorded its expiry (rows apply in the order of their business dates, not of the clock)."""
    if room.status == HELD:
        hold = current_hold(session, room.code)
        if hold is not None and hold.hold_until is not None and hold.hold_until < today:
            return AVAILABLE
    return room.status


def live_deal(session: Session, room_code: str) -> Subscription | None:
    """The room's one live transaction (认购 or 签约), if any."""
    return session.scalar(
        select(Subscription).where(Subscription.room_code == room_code, Subscription.status.in_(LIVE))
    )


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()
