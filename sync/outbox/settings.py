"""The notification settings of the configuration file's ``[salesync.notify]`` table.

Secrets live here (or in the environment), never in the database::

    [salesync.notify]
    base_url = "https://salesync.example.com"         # links in every message
    smtp = "mailtos://salesync:PASSWORD@smtp.example.com:465?from=salesync@example.com"
    digest_time = "08:30"                             # the working-morning digest (Asia/Shanghai)
    report_time = "07:30"                             # the period reports of the day/week/month just closed
    [salesync.notify.robots]                          # group robots an account may be given by name
    深圳销售群 = "wecombot://BOTKEY"
    财务群 = "dingtalk://TOKEN/SECRET"
    销控群 = "feishu://TOKEN/SECRET"

``SALESYNC_SMTP_URL`` overrides ``smtp``. Any apprise URL may stand for a robot.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from sync.core.config import Config

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _time(text: object, default: str) -> dt.time:
    return dt.time.fromisoformat(str(text or default))


@dataclass(frozen=True)
class NotifySettings:
    base_url: str = DEFAULT_BASE_URL
    smtp: str | None = None
    robots: dict[str, str] = field(default_factory=dict)
    digest_time: dt.time = dt.time(8, 30)
    report_time: dt.time = dt.time(7, 30)
    interval: float = 5.0  # seconds between the notifier's turns
    max_attempts: int = 8  # then a message is given up as failed
    backoff: float = 30.0  # seconds before the first retry; doubles each time, at most an hour

    @classmethod
    def of(cls, config: Config) -> NotifySettings:
        raw = config.notify
        robots = raw.get("robots") or {}
        return cls(
            base_url=str(
                raw.get("base_url") or os.environ.get("SALESYNC_BASE_URL") or DEFAULT_BASE_URL
            ).rstrip("/"),
            smtp=os.environ.get("SALESYNC_SMTP_URL") or raw.get("smtp") or None,
            robots={str(k): str(v) for k, v in robots.items()},
            digest_time=_time(raw.get("digest_time"), "08:30"),
            report_time=_time(raw.get("report_time"), "07:30"),
            interval=float(raw.get("interval") or 5.0),
            max_attempts=int(raw.get("max_attempts") or 8),
            backoff=float(raw.get("backoff") or 30.0),
        )

    def link(self, path: str) -> str:
        return f"{self.base_url}{path}"


def context_of(session: Session) -> tuple[NotifySettings, str]:
    """The settings and language of the service whose session this is (``Salesync`` puts its
    configuration into every session's ``info``); defaults for a bare session."""
    config = session.info.get("config")
    if isinstance(config, Config):
        return NotifySettings.of(config), config.lang
    return NotifySettings(), "zh"
