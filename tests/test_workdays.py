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


def test_national_day_2026_on_the_statutory_calendar() -> None:
    """国庆 2026: October 1–7 off; Sunday September 20 and Saturday October 10 are worked."""
    cal = WorkCalendar()
    assert [d for d in range(1, 11) if cal.is_workday(D(2026, 10, d))] == [8, 9, 10]
    assert cal.is_workday(D(2026, 9, 20)) and not cal.is_workday(D(2026, 9, 19))
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert cal.workdays_between(D(2026, 9, 18), D(2026, 9, 21)) == 2  # Sunday 20th and Monday 21st
    assert cal.add_workdays(D(2026, 9, 19), 1) == D(2026, 9, 20)
    # deals and receipts: the same day, or the next working day when it is not one
    assert cal.same_day_deadline(D(2026, 10, 3)) == cal.end_of(D(2026, 10, 8))
    assert cal.same_day_deadline(D(2026, 9, 20)) == cal.end_of(D(2026, 9, 20))
    # questionnaires: the 2nd working day after 填写日期
    assert cal.questionnaire_deadline(D(2026, 9, 30)) == cal.end_of(D(2026, 10, 9))
    assert cal.questionnaire_deadline(D(2026, 10, 8)) == cal.end_of(D(2026, 10, 10))
    # customers: the end of the next working day after first contact
    assert cal.entry_deadline(D(2026, 9, 30)) == cal.end_of(D(2026, 10, 8))


def test_an_office_open_every_day_but_its_declared_days_off() -> None:
    cal = WorkCalendar(holidays={D(2026, 10, 1), D(2026, 10, 2)}, every_day=True)
    assert [d for d in range(1, 8) if cal.is_workday(D(2026, 10, d))] == [3, 4, 5, 6, 7]
    assert cal.is_workday(D(2026, 9, 19))  # a Saturday
    assert cal.same_day_deadline(D(2026, 10, 1)) == cal.end_of(D(2026, 10, 3))
    assert cal.questionnaire_deadline(D(2026, 9, 30)) == cal.end_of(D(2026, 10, 4))
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 7)) == 5


def test_lookups_agree_with_counting_day_by_day() -> None:
    """The table's answers are those of the calendar asked one day at a time."""
    import random

    import chinese_calendar

    cal = WorkCalendar()
    rng = random.Random(14)
    first = D(2025, 1, 1).toordinal()
    for _ in range(300):
        start = D.fromordinal(first + rng.randrange(600))
        end = start + dt.timedelta(days=rng.randrange(-5, 90))
        walked, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            walked += chinese_calendar.is_workday(day)
        assert cal.workdays_between(start, end) == walked
        n = rng.randrange(0, 20)
        day = start
        for _ in range(n):
            day += dt.timedelta(days=1)
            while not chinese_calendar.is_workday(day):
                day += dt.timedelta(days=1)
        assert cal.add_workdays(start, n) == day


def test_a_year_without_holiday_data_is_reported_only_once_asked() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(D(2026, 12, 31)) and cal.fallback_years == []
    assert cal.is_workday(D(2040, 6, 1)) and cal.fallback_years == [2040]  # a Friday: Monday–Friday assumed
    assert cal.workdays_between(D(2041, 1, 7), D(2041, 1, 14)) == 5  # the years between were not asked
    assert cal.fallback_years == [2040, 2041]
    assert cal.add_workdays(D(2041, 12, 31), 1) == D(2042, 1, 1)
    assert cal.fallback_years == [2040, 2041, 2042]
