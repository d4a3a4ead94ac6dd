"""Notifications: each account's channels and settings, the outbox of messages, every delivery
attempt, and the scheduler's claimed runs.

A message is written into ``notify_message`` inside the transaction of the change it tells about,
so a rolled-back change sends nothing and a committed one is never lost; a sender delivers it later.
``key`` makes a message unique (a digest per person per day, one message per event and person), so
two schedulers or watchers on one database never make it twice. Secrets are never stored in clear:
a robot channel names a robot of the configuration, or holds its webhook encrypted with the kept key.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, now
from schema.models.org import Account

PENDING, SENT, FAILED, NO_CHANNEL = "pending", "sent", "failed", "no_channel"


class NotifyChannel(Base):
    """One way to reach an account: ``email`` (an address) or ``robot`` (企业微信/钉钉/飞书 webhook)."""

    __tablename__ = "notify_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # email / robot
    address: Mapped[str] = mapped_column(String(300))  # e-mail address, or the configured robot's name
    secret: Mapped[str | None] = mapped_column(Text)  # a personal webhook, encrypted with the kept key
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    account: Mapped[Account] = relationship()


class NotifySetting(Base):
    """An account's quiet hours (Asia/Shanghai, ``HH:MM``) and the kinds of message it opted out of."""

    __tablename__ = "notify_setting"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    muted: Mapped[str] = mapped_column(Text, default="")  # comma-separated kinds
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)


class NotifyMessage(Base):
    """The outbox: one message to one account, delivered on each of its channels by a sender."""

    __tablename__ = "notify_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("workbook_version.id"), index=True
    )  # what told of
    attachments: Mapped[str | None] = mapped_column(Text)  # JSON list of files to mail along
    state: Mapped[str] = mapped_column(String(16), index=True, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    account: Mapped[Account] = relationship()


class NotifyDelivery(Base):
    """One attempt to deliver a message on one channel: who, which channel, when, and the outcome."""

    __tablename__ = "notify_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("notify_message.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("notify_channel.id"))
    channel: Mapped[str] = mapped_column(String(300))  # e.g. "email zhang@example.com", "robot 销售群"
    at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # sent / failed
    attempt: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)

    message: Mapped[NotifyMessage] = relationship()
    account: Mapped[Account] = relationship()


class ScheduleRun(Base):
    """A scheduled job's run for one period (``digest`` on ``2026-10-09``, ``report-week`` on
    ``2026-W41``): whoever inserts the row runs it, so it runs once however many schedulers there are."""

    __tablename__ = "schedule_run"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    claimed_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(default=now)
    finished_at: Mapped[dt.datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)
