"""The typed settings behind :class:`sync.core.config.Config`: every setting from the file or the environment.

A setting named ``x`` comes from, in this order: the command line (``--db``, ``--data-dir``), the
environment variable ``SALESYNC_X``, the config file's key ``x`` (its ``[salesync]`` table, or the
whole file), its default. A key the file does not know (``databse_url``) or a value of the wrong
kind (``watch_poll_interval = "fast"``) is refused with one line naming the key, where it came
from and the keys there are: a typo must never run quietly on a new, empty SQLite database.

Unknown ``SALESYNC_…`` environment variables are not refused: other tools (the tests, the portal's
secret, the holiday file) use that prefix for their own variables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "SALESYNC_"
#: Environment variables read under another name before (still honoured, after the new name).
LEGACY_ENV = {"drive_root": "SALESYNC_DRIVE"}


class Settings(BaseSettings):
    """What an operator may set; defaults that depend on another setting are filled in by ``Config``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    database_url: str | None = None  # default: salesync.db in the data directory
    data_dir: Path = Path("data")
    drive_root: Path | None = None  # default: drive/ in the data directory
    lang: Literal["zh", "en"] = "zh"
    write_back: bool = True
    removal_hold_ratio: float = Field(0.5, gt=0, le=1)
    removal_hold_minimum: int = Field(20, ge=0)
    audit_key: str | None = None
    watch_polling: bool = False
    watch_poll_interval: float = Field(1.0, gt=0)
    google_service_account: Path | None = None  # the service account's JSON key file (salesync[gsheets])
    sheets_interval: float = Field(300.0, ge=0)  # 0: the watcher does not check online sheets
    watch_max_failures: int = Field(3, ge=1)
    worker_memory_mb: int = Field(4096, ge=0)  # 0: no cap
    watch_keep_jobs_days: float = Field(30.0, gt=0)
    kept_files_days: float | None = Field(None, gt=0)  # None: keep every version's bytes
    admin_password_hold_hours: float = Field(168.0, ge=0)
    session_cookie_secure: bool = False
    session_idle_minutes: float = Field(30.0, gt=0)
    proxy_count: int = Field(0, ge=0)
    login_failures: int = Field(5, ge=1)
    login_lock_minutes: float = Field(15.0, gt=0)


KNOWN = tuple(sorted(Settings.model_fields))


class SettingsError(Exception):
    """The configuration is invalid: one line saying which setting, from where, and why."""


def read_settings(file_values: dict[str, Any], origin: str | None, **given: Any) -> Settings:
    """The settings from ``given`` (the command line), the environment and ``file_values`` (read
    from ``origin``), refused with a :class:`SettingsError` when a key or value is wrong."""
    unknown = sorted(set(file_values) - set(KNOWN))
    if unknown:
        raise SettingsError(
            f"配置文件 {origin} 中有未知的设置 {', '.join(unknown)}；可用的设置：{', '.join(KNOWN)}"
            f" (unknown setting {', '.join(unknown)} in {origin})"
        )
    legacy = {f: os.environ[v] for f, v in LEGACY_ENV.items() if os.environ.get(v)}

    class _Sourced(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (
                init_settings,
                env_settings,
                InitSettingsSource(settings_cls, init_kwargs=legacy),
                InitSettingsSource(settings_cls, init_kwargs=file_values),
            )

    try:
        return _Sourced(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        raise SettingsError(_one_line(exc, file_values, origin, given)) from None


def _one_line(
    exc: ValidationError, file_values: dict[str, Any], origin: str | None, given: dict[str, Any]
) -> str:
    error = exc.errors()[0]
    key = str(error["loc"][0]) if error["loc"] else "?"
    env = f"{ENV_PREFIX}{key.upper()}"
    if given.get(key) is not None:
        where = f"命令行选项 --{key.replace('_', '-')}"
    elif os.environ.get(env) is not None:
        where = f"环境变量 {env}"
    elif key in LEGACY_ENV and os.environ.get(LEGACY_ENV[key]):
        where = f"环境变量 {LEGACY_ENV[key]}"
    else:
        where = f"配置文件 {origin} 的 {key}"
    value = error.get("input")
    return f"配置有误：{where} 的值 {value!r} 无效（{error['msg']}）"
