"""Each account's channels, and delivering one message on one channel through apprise.

An ``email`` channel holds an address; the SMTP server and its password are the configuration's
``smtp`` URL. A ``robot`` channel either names a robot of the configuration (``[salesync.notify.robots]``,
the group robots an admin sets up) or holds a personal webhook (any apprise URL: ``wecombot://KEY``,
``dingtalk://TOKEN``, ``feishu://TOKEN``) encrypted with the kept key ``notify.key`` of the data
directory — the database never holds a webhook key or a password in clear.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import NotifyChannel
from sync.core.config import Config, kept_secret
from sync.core.errors import SalesyncError
from sync.domain.accounts import get_account
from sync.outbox.settings import NotifySettings

KEY_FILE = "notify.key"
EMAIL, ROBOT = "email", "robot"


class ChannelRefused(SalesyncError):
    """通知渠道无效："""


def _fernet(config: Config) -> Fernet:
    raw = kept_secret(config.data_dir / KEY_FILE)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(raw).digest()))


def seal(config: Config, url: str) -> str:
    return _fernet(config).encrypt(url.encode()).decode()


def unseal(config: Config, token: str) -> str:
    try:
        return _fernet(config).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ChannelRefused("无法解密个人机器人地址（密钥文件已更换？）请重新设置") from exc


def add_email(session: Session, username: str, address: str) -> NotifyChannel:
    address = address.strip()
    if "@" not in address or " " in address or len(address) > 300:
        raise ChannelRefused(f"“{address}”不是有效的电子邮件地址")
    account = get_account(session, username)
    channel = NotifyChannel(account_id=account.id, kind=EMAIL, address=address, enabled=True)
    session.add(channel)
    session.flush()
    return channel


def add_robot(
    session: Session, config: Config, username: str, *, name: str | None = None, url: str | None = None
) -> NotifyChannel:
    """A configured robot by ``name``, or a personal webhook ``url`` (kept encrypted)."""
    settings = NotifySettings.of(config)
    account = get_account(session, username)
    if name:
        if name not in settings.robots:
            known = "、".join(sorted(settings.robots)) or "（无）"
            raise ChannelRefused(f"配置中没有名为“{name}”的机器人；可选：{known}")
        channel = NotifyChannel(account_id=account.id, kind=ROBOT, address=name, enabled=True)
    elif url:
        if apprise.Apprise.instantiate(url.strip()) is None:
            raise ChannelRefused("机器人地址无法识别（应为 wecombot://、dingtalk://、feishu:// 等）")
        label = url.split("://", 1)[0] + "://…"
        channel = NotifyChannel(
            account_id=account.id, kind=ROBOT, address=label, secret=seal(config, url.strip()), enabled=True
        )
    else:
        raise ChannelRefused("请给出已配置的机器人名称或个人机器人地址")
    session.add(channel)
    session.flush()
    return channel


def channels_of(session: Session, account_id: int, *, enabled_only: bool = False) -> list[NotifyChannel]:
    stmt = select(NotifyChannel).where(NotifyChannel.account_id == account_id).order_by(NotifyChannel.id)
    if enabled_only:
        stmt = stmt.where(NotifyChannel.enabled)
    return list(session.scalars(stmt))


def remove(session: Session, account_id: int, channel_id: int) -> None:
    channel = session.get(NotifyChannel, channel_id)
    if channel is None or channel.account_id != account_id:
        raise ChannelRefused(f"没有编号为 {channel_id} 的通知渠道")
    channel.enabled = False


@dataclass(frozen=True)
class Target:
    """Where one channel delivers: the apprise URL (with its secrets) and a label fit for the log."""

    channel_id: int
    label: str
    url: str


def describe(channel: NotifyChannel) -> str:
    return f"{channel.kind} {channel.address}"


def target(channel: NotifyChannel, config: Config, settings: NotifySettings) -> Target:
    if channel.kind == EMAIL:
        if not settings.smtp:
            raise ChannelRefused("未配置邮件服务器（[salesync.notify] smtp）")
        return Target(channel.id, describe(channel), _with_recipient(settings.smtp, channel.address))
    if channel.secret:
        return Target(channel.id, describe(channel), unseal(config, channel.secret))
    url = settings.robots.get(channel.address)
    if url is None:
        raise ChannelRefused(f"配置中已没有名为“{channel.address}”的机器人")
    return Target(channel.id, describe(channel), url)


def _with_recipient(smtp: str, address: str) -> str:
    parts = urlsplit(smtp)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "to"] + [("to", address)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def deliver(target: Target, title: str, body: str, attachments: list[Path] | None = None) -> str | None:
    """Send one message; None when it went out, else why not (apprise logs the details)."""
    # No service deadline: apprise then sends on the calling thread (the notifier's own) instead of
    # its process-wide pool; the plugins' socket timeouts still bound a dead server.
    sender = apprise.Apprise(asset=apprise.AppriseAsset(service_timeout=0))
    if not sender.add(target.url):
        return "channel URL not understood"
    with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
        ok = sender.notify(
            title=title,
            body=body,
            body_format=apprise.NotifyFormat.TEXT,
            attach=[str(p) for p in attachments] if attachments else None,
        )
        logged = captured.getvalue().strip() if not ok else ""
    if ok:
        return None
    return (logged.splitlines()[-1] if logged else "delivery failed")[:500]
