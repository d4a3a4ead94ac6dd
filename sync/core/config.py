"""Where salesync keeps its data and which database it talks to.

Every setting comes from the command line (``--db``, ``--data-dir``), else ``SALESYNC_<NAME>``, else
the config file's ``<name>``, else its default (:mod:`sync.core.settings` types and checks them: an
unknown key or a bad value is one clear line, never a silent default). The database URL defaults
to a SQLite file ``salesync.db`` in the data directory. The config file is ``--config``, else
``SALESYNC_CONFIG``, else ``salesync.toml`` in the current directory if present.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sync.core.settings import SettingsError, read_settings


class ConfigError(Exception):
    """The configuration file could not be read, or a setting in it or the environment is invalid."""


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
    google_service_account: Path | None = None  # the service account's JSON key file (salesync[gsheets])
    sheets_interval: float = 300.0  # seconds between the watcher's checks of registered online sheets
    watch_max_failures: int = 3  # crashes of a job's worker (or unexpected errors) before quarantine
    worker_memory_mb: int = 4096  # address-space cap of the process that reads a file (0: none)
    watch_keep_jobs_days: float = 30.0  # finished watcher jobs older than this are deleted
    kept_files_days: float | None = None  # drop old versions' bytes after this (None: keep everything)
    # security (sync.domain.accounts, sync.domain.signing, web.auth): how long an admin-set password
    # (and an account's creation) keeps it from signing; the portal's cookie and idle timeout; how
    # many reverse proxies in front of the portal set X-Forwarded-For/-Proto (0: none, trust nothing)
    admin_password_hold_hours: float = 168.0
    session_cookie_secure: bool = False
    session_idle_minutes: float = 30.0
    proxy_count: int = 0
    login_failures: int = 5  # wrong passwords in a row before an account is locked for a while
    login_lock_minutes: float = 15.0
    # the [salesync.notify] table: SMTP and robot channels (checked by sync.outbox.settings)
    notify: dict[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def load(
        cls, *, db: str | None = None, config_file: Path | None = None, data_dir: Path | None = None
    ) -> Config:
        file_values, origin = _read_file(config_file)
        notify = file_values.pop("notify", None) or {}  # a table of its own (sync.outbox.settings)
        try:
            settings = read_settings(file_values, origin, database_url=db, data_dir=data_dir)
        except SettingsError as exc:
            raise ConfigError(str(exc)) from None
        base = settings.data_dir
        url = settings.database_url or f"sqlite:///{(base / 'salesync.db').resolve()}"
        return cls(
            database_url=url,
            data_dir=base,
            drive_root=settings.drive_root or base / "drive",
            lang=settings.lang,
            write_back=settings.write_back,
            removal_hold_ratio=settings.removal_hold_ratio,
            removal_hold_minimum=settings.removal_hold_minimum,
            audit_key=settings.audit_key or None,
            watch_polling=settings.watch_polling,
            watch_poll_interval=settings.watch_poll_interval,
            google_service_account=settings.google_service_account,
            sheets_interval=settings.sheets_interval,
            watch_max_failures=settings.watch_max_failures,
            worker_memory_mb=settings.worker_memory_mb,
            watch_keep_jobs_days=settings.watch_keep_jobs_days,
            kept_files_days=settings.kept_files_days,
            admin_password_hold_hours=settings.admin_password_hold_hours,
            session_cookie_secure=settings.session_cookie_secure,
            session_idle_minutes=settings.session_idle_minutes,
            proxy_count=settings.proxy_count,
            login_failures=settings.login_failures,
            login_lock_minutes=settings.login_lock_minutes,
            notify=dict(notify),
        )

    def with_(self, **changes: Any) -> Config:
        return replace(self, **changes)


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


def _read_file(path: Path | None) -> tuple[dict[str, Any], str | None]:
    """The config file's settings (its ``[salesync]`` table, or the whole file) and its name."""
    candidate = path or (Path(os.environ["SALESYNC_CONFIG"]) if os.environ.get("SALESYNC_CONFIG") else None)
    if candidate is None:
        default = Path("salesync.toml")
        if not default.exists():
            return {}, None
        candidate = default
    try:
        with candidate.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"无法读取配置文件 {candidate}: {exc}") from exc
    section = data.get("salesync", data)
    if not isinstance(section, dict):
        raise ConfigError(f"配置文件 {candidate} 的 salesync 应为一个表（[salesync]）")
    return dict(section), str(candidate)
