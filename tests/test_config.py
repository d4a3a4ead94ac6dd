"""Where the database URL comes from: --db, the environment, the config file, the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.core.config import Config, ConfigError


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SALESYNC_DATABASE_URL", raising=False)
    monkeypatch.delenv("SALESYNC_CONFIG", raising=False)
    monkeypatch.delenv("SALESYNC_DATA_DIR", raising=False)
    default = Config.load()
    assert default.database_url == f"sqlite:///{tmp_path / 'data' / 'salesync.db'}"

    (tmp_path / "salesync.toml").write_text('[salesync]\ndatabase_url = "sqlite:///from-file.db"\n')
    assert Config.load().database_url == "sqlite:///from-file.db"
    monkeypatch.setenv("SALESYNC_DATABASE_URL", "sqlite:///from-env.db")
    assert Config.load().database_url == "sqlite:///from-env.db"
    assert Config.load(db="sqlite:///from-flag.db").database_url == "sqlite:///from-flag.db"


def test_a_broken_config_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "salesync.toml"
    bad.write_text("database_url = [unclosed")
    with pytest.raises(ConfigError, match="无法读取配置文件"):
        Config.load(config_file=bad)
