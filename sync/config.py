"""Where salesync keeps its data and which database it talks to.

Precedence for the database URL: ``--db`` → ``SALESYNC_DATABASE_URL`` → the config file's
``database_url`` → a SQLite file ``salesync.db`` in the data directory. The config file is
``--config``, else ``SALESYNC_CONFIG``, else ``salesync.toml`` in the current directory if present.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """The configuration file could not be read."""


@dataclass(frozen=True)
class Config:
    database_url: str
    data_dir: Path
    drive_root: Path
    lang: str = "zh"
    write_back: bool = True
    removal_hold_ratio: float = 0.5  # a version removing more than this share of rows is held
    removal_hold_minimum: int = 20  # ... once it removes at least this many rows
    audit_key: str | None = None  # the work log's secret; unset: a key file in the data directory
    watch_polling: bool = False  # the watcher polls instead of using native events (network shares)
    watch_poll_interval: float = 1.0  # seconds between the watcher's polls
    # security (sync.accounts, sync.signing, web.auth): how long an admin-set password (and an
    # account's creation) keeps it from signing; the portal's cookie and idle timeout; how many
    # reverse proxies in front of the portal set X-Forwarded-For/-Proto (0: none, trust nothing)
    admin_password_hold_hours: float = 168.0
    session_cookie_secure: bool = False
    session_idle_minutes: float = 30.0
    proxy_count: int = 0
    login_failures: int = 5  # wrong passwords in a row before an account is locked for a while
    login_lock_minutes: float = 15.0

    @classmethod
    def load(
        cls, *, db: str | None = None, config_file: Path | None = None, data_dir: Path | None = None
    ) -> Config:
        file_values = _read_file(config_file)
        base = Path(data_dir or os.environ.get("SALESYNC_DATA_DIR") or file_values.get("data_dir") or "data")
        url = db or os.environ.get("SALESYNC_DATABASE_URL") or file_values.get("database_url")
        if not url:
            url = f"sqlite:///{(base / 'salesync.db').resolve()}"
        drive = Path(os.environ.get("SALESYNC_DRIVE") or file_values.get("drive_root") or base / "drive")
        lang = os.environ.get("SALESYNC_LANG") or file_values.get("lang") or "zh"
        polling = os.environ.get("SALESYNC_WATCH_POLLING") or file_values.get("watch_polling") or False
        interval = os.environ.get("SALESYNC_WATCH_POLL_INTERVAL") or file_values.get("watch_poll_interval")
        audit_key = os.environ.get("SALESYNC_AUDIT_KEY") or file_values.get("audit_key")

        def setting(name: str, default: Any) -> Any:
            return os.environ.get(f"SALESYNC_{name.upper()}") or file_values.get(name) or default

        return cls(
            database_url=str(url),
            data_dir=base,
            drive_root=drive,
            lang=str(lang),
            watch_polling=str(polling).lower() in ("1", "true", "yes", "on"),
            watch_poll_interval=float(interval or 1.0),
            audit_key=str(audit_key) if audit_key else None,
            admin_password_hold_hours=float(setting("admin_password_hold_hours", 168.0)),
            session_cookie_secure=_flag(setting("session_cookie_secure", False)),
            session_idle_minutes=float(setting("session_idle_minutes", 30.0)),
            proxy_count=int(setting("proxy_count", 0)),
            login_failures=int(setting("login_failures", 5)),
            login_lock_minutes=float(setting("login_lock_minutes", 15.0)),
        )

    def with_(self, **changes: Any) -> Config:
        return replace(self, **changes)


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def kept_secret(path: Path) -> bytes:
    """The random secret kept in ``path``, made on first use (mode 600). Two processes starting at
    once agree: only one of them creates the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return path.read_bytes().strip()


def _read_file(path: Path | None) -> dict[str, Any]:
    candidate = path or (Path(os.environ["SALESYNC_CONFIG"]) if os.environ.get("SALESYNC_CONFIG") else None)
    if candidate is None:
        default = Path("salesync.toml")
        if not default.exists():
            return {}
        candidate = default
    try:
        with candidate.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"无法读取配置文件 {candidate}: {exc}") from exc
    section = data.get("salesync", data)
    return dict(section) if isinstance(section, dict) else {}
