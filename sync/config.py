"""Where salesync keeps its data and which database it talks to.

Precedence for the database URL: ``--db`` → ``SALESYNC_DATABASE_URL`` → the config file's
``database_url`` → a SQLite file ``salesync.db`` in the data directory. The config file is
``--config``, else ``SALESYNC_CONFIG``, else ``salesync.toml`` in the current directory if present.
"""

from __future__ import annotations

import os
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
        return cls(database_url=str(url), data_dir=base, drive_root=drive, lang=str(lang))

    def with_(self, **changes: Any) -> Config:
        return replace(self, **changes)


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
