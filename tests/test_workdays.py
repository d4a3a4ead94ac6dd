"""Working days follow the Chinese calendar: statutory holidays and make-up working weekends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sync.domain.workdays import WorkCalendar

D = dt.date


def test_national_day_and_its_make_up_saturday() -> None:
    cal = WorkCalendar()
    assert not cal.is_workday(D(2026, 10, 1))
    assert cal.is_workday(D(2026, 10, 10))  # a Saturday worked to make up for 国庆
    assert cal.next_workday(D(2026, 9, 30)) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 10, 7), 3) == D(2026, 10, 10)


def test_override_file_covers_unknown_years(tmp_path: Path) -> None:
    override = tmp_path / "holidays.toml"
    override.write_text("holidays = [2027-01-01]\nworkdays = [2027-01-02]\n")
    cal = WorkCalendar.from_file(override)
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.is_workday(D(2027, 1, 2))  # a Saturday, declared a working day
    assert cal.is_workday(D(2027, 1, 4)) and not cal.is_workday(D(2027, 1, 9))  # fallback: Monday–Friday
