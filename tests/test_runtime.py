"""The salesync command's process settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.cli import main
from sync.core.runtime import YOUNG_THRESHOLD, tune_collector


@pytest.fixture
def thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_the_command_raises_the_young_generation_threshold(thresholds: None, tmp_path: Path) -> None:
    gc.set_threshold(700, 10, 10)
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 's.db'}", "init"])
    assert result.exit_code == 0, result.output
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)


def test_a_host_setting_is_kept_when_higher_or_disabled(thresholds: None) -> None:
    gc.set_threshold(50_000, 5, 5)
    tune_collector()
    assert gc.get_threshold() == (50_000, 5, 5)
    gc.set_threshold(0, 10, 10)
    tune_collector()
    assert gc.get_threshold() == (0, 10, 10)
