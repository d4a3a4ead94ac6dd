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


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "CONFIG",
        "DATA_DIR",
        "DRIVE",
        "DRIVE_ROOT",
        "LANG",
        "WATCH_POLLING",
        "WATCH_POLL_INTERVAL",
        "REMOVAL_HOLD_RATIO",
        "WRITE_BACK",
    ):
        monkeypatch.delenv(f"SALESYNC_{name}", raising=False)


def test_a_misspelt_key_is_refused_naming_it_and_the_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_env(monkeypatch)
    toml = tmp_path / "salesync.toml"
    toml.write_text('[salesync]\ndatabse_url = "postgresql+psycopg://db/salesync"\n')
    with pytest.raises(ConfigError) as raised:
        Config.load(config_file=toml)
    message = str(raised.value)
    assert "\n" not in message
    assert "databse_url" in message and "database_url" in message and "watch_poll_interval" in message


def test_a_bad_value_is_one_line_naming_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_env(monkeypatch)
    toml = tmp_path / "salesync.toml"
    toml.write_text('watch_poll_interval = "fast"\n')
    with pytest.raises(
        ConfigError, match=r"配置文件 .*salesync.toml 的 watch_poll_interval 的值 'fast' 无效"
    ):
        Config.load(config_file=toml)
    toml.write_text("removal_hold_ratio = 0.3\n")
    monkeypatch.setenv("SALESYNC_REMOVAL_HOLD_RATIO", "2")
    with pytest.raises(ConfigError, match="环境变量 SALESYNC_REMOVAL_HOLD_RATIO 的值 '2' 无效") as raised:
        Config.load(config_file=toml)
    assert "\n" not in str(raised.value)
    monkeypatch.setenv("SALESYNC_LANG", "fr")
    monkeypatch.delenv("SALESYNC_REMOVAL_HOLD_RATIO")
    with pytest.raises(ConfigError, match="SALESYNC_LANG"):
        Config.load(config_file=toml)


def test_every_setting_comes_from_the_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_env(monkeypatch)
    toml = tmp_path / "salesync.toml"
    toml.write_text(
        "[salesync]\n"
        f'data_dir = "{tmp_path / "d"}"\n'
        'lang = "en"\nwrite_back = false\nremoval_hold_ratio = 0.25\nremoval_hold_minimum = 5\n'
        'audit_key = "k"\nwatch_polling = true\nwatch_poll_interval = 3\n'
    )
    config = Config.load(config_file=toml)
    assert (config.data_dir, config.drive_root, config.database_url) == (
        tmp_path / "d",
        tmp_path / "d" / "drive",
        f"sqlite:///{tmp_path / 'd' / 'salesync.db'}",
    )
    assert (config.lang, config.write_back, config.removal_hold_ratio, config.removal_hold_minimum) == (
        "en",
        False,
        0.25,
        5,
    )
    assert (config.audit_key, config.watch_polling, config.watch_poll_interval) == ("k", True, 3.0)
    monkeypatch.setenv("SALESYNC_WRITE_BACK", "yes")
    monkeypatch.setenv("SALESYNC_REMOVAL_HOLD_MINIMUM", "7")
    monkeypatch.setenv("SALESYNC_DRIVE", str(tmp_path / "share"))  # the earlier name still works
    again = Config.load(config_file=toml)
    assert (again.write_back, again.removal_hold_minimum, again.drive_root) == (True, 7, tmp_path / "share")
    monkeypatch.setenv("SALESYNC_DRIVE_ROOT", str(tmp_path / "other"))
    assert Config.load(config_file=toml).drive_root == tmp_path / "other"
    assert Config.load(config_file=toml, data_dir=tmp_path / "flag").data_dir == tmp_path / "flag"
