"""An account's notification preferences: quiet hours and the kinds it opted out of."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from schema.base import now
from schema.models import NotifySetting
from sync.notify.channels import ChannelRefused
from sync.outbox.words import OPTIONAL


def setting_of(session: Session, account_id: int) -> NotifySetting:
    found = session.get(NotifySetting, account_id)
    if found is None:
        found = NotifySetting(account_id=account_id, muted="")
        session.add(found)
    return found


def _hhmm(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.time.fromisoformat(text).strftime("%H:%M")
    except ValueError as exc:
        raise ChannelRefused(f"“{text}”不是有效的时间（应为 HH:MM）") from exc


def save(
    session: Session, account_id: int, *, quiet_start: str, quiet_end: str, muted: list[str]
) -> NotifySetting:
    """Quiet hours (both or neither) and the opted-out kinds (faults and tests cannot be muted)."""
    start, end = _hhmm(quiet_start), _hhmm(quiet_end)
    if (start is None) != (end is None):
        raise ChannelRefused("免打扰时段须同时填写开始与结束时间")
    unknown = [k for k in muted if k not in OPTIONAL]
    if unknown:
        raise ChannelRefused(f"未知的通知类别：{'、'.join(unknown)}")
    setting = setting_of(session, account_id)
    setting.quiet_start, setting.quiet_end = start, end
    setting.muted = ",".join(k for k in OPTIONAL if k in muted)
    setting.updated_at = now()
    return setting
