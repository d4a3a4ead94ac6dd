"""What the portal shows of the messages a workbook version caused: each with its outcome, so a
page says "notified" only where a delivery was recorded as sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import NotifyDelivery, NotifyMessage
from schema.models.notify import SENT


@dataclass(frozen=True)
class Told:
    message: NotifyMessage
    sent_on: list[NotifyDelivery]  # the channels it went out on

    @property
    def delivered(self) -> bool:
        return bool(self.sent_on)


def about_version(session: Session, version_id: int) -> list[Told]:
    messages = session.scalars(
        select(NotifyMessage).where(NotifyMessage.version_id == version_id).order_by(NotifyMessage.id)
    ).all()
    sent: dict[int, list[NotifyDelivery]] = {}
    if messages:
        stmt = select(NotifyDelivery).where(
            NotifyDelivery.message_id.in_([m.id for m in messages]), NotifyDelivery.outcome == SENT
        )
        for d in session.scalars(stmt.order_by(NotifyDelivery.id)):
            sent.setdefault(d.message_id, []).append(d)
    return [Told(m, sent.get(m.id, [])) for m in messages]
