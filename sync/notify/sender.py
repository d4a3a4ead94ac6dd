"""Delivering the outbox: claim due messages, send each on its account's channels, record every
attempt, retry failures with backoff.

Claiming is like the watcher's queue: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a single
conditional ``UPDATE … RETURNING`` on SQLite, and a lease so a message held by a sender that died is
taken up again. Nothing is sent inside a database transaction: a slow SMTP server holds no locks.
A channel that already delivered a message is not used again for it when another channel failed.
A message due inside its account's quiet hours waits for their end (faults and tests do not).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from schema.base import SHANGHAI, now
from schema.models import Account, NotifyDelivery, NotifyMessage, NotifySetting
from schema.models.notify import FAILED, NO_CHANNEL, PENDING, SENT
from sync.app import Salesync
from sync.core.errors import SalesyncError
from sync.domain.accounts import get_account
from sync.notify import channels
from sync.outbox.messages import post
from sync.outbox.settings import NotifySettings

log = logging.getLogger("salesync.notify")
LEASE = timedelta(minutes=5)
URGENT = ("fault", "test")  # kinds that ignore quiet hours
MAX_BACKOFF = 3600.0


def _due(message: type[NotifyMessage], at: dt.datetime) -> object:
    return (
        (message.state == PENDING)
        & (message.next_attempt_at <= at)
        & or_(message.claimed_until.is_(None), message.claimed_until < at)
    )


def claim(app: Salesync, me: str, at: dt.datetime | None = None) -> int | None:
    """Take one message due at ``at`` (default: now) for ``me``, for a lease; or None."""
    at = at or now()
    stamp = {"claimed_by": me, "claimed_until": at + LEASE}
    with app.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            found = session.scalar(
                select(NotifyMessage.id)
                .where(_due(NotifyMessage, at))  # type: ignore[arg-type]
                .order_by(NotifyMessage.next_attempt_at, NotifyMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if found is None:
                return None
            session.execute(update(NotifyMessage).where(NotifyMessage.id == found).values(**stamp))
            return int(found)
        cand = aliased(NotifyMessage)
        first = (
            select(cand.id)
            .where(_due(cand, at))  # type: ignore[arg-type]
            .order_by(cand.next_attempt_at, cand.id)
            .limit(1)
            .scalar_subquery()
        )
        claimed = session.scalar(
            update(NotifyMessage)
            .where(NotifyMessage.id == first, _due(NotifyMessage, at))  # type: ignore[arg-type]
            .values(**stamp)
            .returning(NotifyMessage.id)
        )
        return int(claimed) if claimed is not None else None


def quiet_until(setting: NotifySetting | None, at: dt.datetime) -> dt.datetime | None:
    """The end of the account's quiet hours when ``at`` falls inside them, else None."""
    if setting is None or not setting.quiet_start or not setting.quiet_end:
        return None
    start, end = dt.time.fromisoformat(setting.quiet_start), dt.time.fromisoformat(setting.quiet_end)
    local = at.astimezone(SHANGHAI)
    t = local.time()
    inside = (start <= t < end) if start <= end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=SHANGHAI)


@dataclass
class Sender:
    app: Salesync
    me: str

    @property
    def settings(self) -> NotifySettings:
        return NotifySettings.of(self.app.config)

    def run_once(self, limit: int = 50) -> int:
        """Deliver up to ``limit`` due messages; how many were handled."""
        handled, turn = 0, now()  # a message retried in this turn is due again only in a later one
        while handled < limit:
            message_id = claim(self.app, self.me, turn)
            if message_id is None:
                break
            self.deliver(message_id)
            handled += 1
        return handled

    def deliver(self, message_id: int) -> str:
        """Send one claimed message on every channel that has not delivered it yet; its new state."""
        settings = self.settings
        with self.app.sessions() as session:
            message = session.get_one(NotifyMessage, message_id)
            wait = None
            if message.kind not in URGENT:
                wait = quiet_until(session.get(NotifySetting, message.account_id), now())
            if wait is not None:
                self._release(message_id, wait)
                return PENDING
            done = set(
                session.scalars(
                    select(NotifyDelivery.channel_id).where(
                        NotifyDelivery.message_id == message_id, NotifyDelivery.outcome == SENT
                    )
                )
            )
            todo = channels.channels_of(session, message.account_id, enabled_only=True)
            attempt = message.attempts + 1
            title, body = message.subject, _body(message)
            files = [Path(p) for p in json.loads(message.attachments)] if message.attachments else []
            plan: list[tuple[int, channels.Target | None, str | None]] = []
            for channel in todo:
                if channel.id in done:
                    continue
                try:
                    plan.append((channel.id, channels.target(channel, self.app.config, settings), None))
                except SalesyncError as exc:
                    plan.append((channel.id, None, str(exc)))
            labels = {c.id: channels.describe(c) for c in todo}
        results: list[tuple[int, str, str | None]] = []
        for channel_id, target, problem in plan:  # outside any transaction
            if target is not None:
                attach = (
                    [f for f in files if f.exists()] if channel_id and _is_email(labels[channel_id]) else []
                )
                problem = channels.deliver(target, title, body, attach)
            results.append((channel_id, labels[channel_id], problem))
        return self._finish(message_id, attempt, results, bool(todo), settings)

    def _release(self, message_id: int, wait: dt.datetime) -> None:
        with self.app.transaction() as session:
            session.execute(
                update(NotifyMessage)
                .where(NotifyMessage.id == message_id, NotifyMessage.claimed_by == self.me)
                .values(next_attempt_at=wait, claimed_by=None, claimed_until=None)
            )

    def _finish(
        self,
        message_id: int,
        attempt: int,
        results: list[tuple[int, str, str | None]],
        has_channels: bool,
        settings: NotifySettings,
    ) -> str:
        at = now()
        with self.app.transaction() as session:
            message = session.get_one(NotifyMessage, message_id, with_for_update=True)
            if message.claimed_by != self.me:  # our lease ran out and another sender took it over
                return message.state
            for channel_id, label, problem in results:
                session.add(
                    NotifyDelivery(
                        message_id=message_id,
                        account_id=message.account_id,
                        channel_id=channel_id,
                        channel=label,
                        at=at,
                        outcome=SENT if problem is None else FAILED,
                        attempt=attempt,
                        detail=problem,
                    )
                )
            if not has_channels:
                session.add(
                    NotifyDelivery(
                        message_id=message_id,
                        account_id=message.account_id,
                        channel="—",
                        at=at,
                        outcome=NO_CHANNEL,
                        attempt=attempt,
                        detail="no channel set up for this account",
                    )
                )
            failed = [p for _, _, p in results if p is not None]
            message.attempts = attempt
            message.claimed_by, message.claimed_until = None, None
            if not has_channels:
                message.state, message.last_error = NO_CHANNEL, "no channel set up for this account"
            elif not failed:
                message.state, message.sent_at, message.last_error = SENT, at, None
            elif attempt >= settings.max_attempts:
                message.state, message.last_error = FAILED, failed[-1]
            else:
                delay = min(settings.backoff * 2 ** (attempt - 1), MAX_BACKOFF)
                message.next_attempt_at = at + timedelta(seconds=delay)
                message.last_error = failed[-1]
            state = message.state
        if failed:
            log.warning("notification %s: %s", message_id, failed[-1])
        return state


def _is_email(label: str) -> bool:
    return label.startswith(channels.EMAIL + " ")


def _body(message: NotifyMessage) -> str:
    return f"{message.body}\n{message.link}" if message.link else message.body


def log_entries(session: Session, *, username: str | None = None, limit: int = 200) -> list[NotifyDelivery]:
    """The latest delivery attempts (of one account with ``username``), newest first."""
    stmt = select(NotifyDelivery).order_by(NotifyDelivery.id.desc()).limit(limit)
    if username:
        stmt = stmt.join(Account, Account.id == NotifyDelivery.account_id).where(Account.username == username)
    return list(session.scalars(stmt))


def send_test(app: Salesync, username: str, me: str) -> list[NotifyDelivery]:
    """Post a test message to ``username`` and deliver it at once; the delivery records it made."""
    key = f"test:{uuid.uuid4().hex}"
    settings = NotifySettings.of(app.config)
    with app.transaction() as session:
        account = get_account(session, username)
        post(
            session,
            account,
            "test",
            key,
            settings.link("/"),
            lang=app.config.lang,
            name=account.display_name,
            username=account.username,
        )
        message_id = session.scalar(select(NotifyMessage.id).where(NotifyMessage.key == key))
        session.execute(
            update(NotifyMessage)
            .where(NotifyMessage.id == message_id)
            .values(claimed_by=me, claimed_until=now() + LEASE)
        )
    assert message_id is not None
    Sender(app, me).deliver(message_id)
    with app.sessions() as session:
        return list(session.scalars(select(NotifyDelivery).where(NotifyDelivery.message_id == message_id)))
