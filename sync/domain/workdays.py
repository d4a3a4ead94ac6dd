"""The Chinese working-day calendar: statutory holidays and make-up working weekends.

Backed by ``chinese_calendar`` for the years it knows. Later years come from an override file
(TOML: ``holidays = [2027-01-01, …]`` and ``workdays = [2027-02-07, …]``); with neither, plain
Monday–Friday is used and a warning is logged once per year (``fallback_years`` lists those years
so that an interface can say so to its user).
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar

from schema.base import SHANGHAI

log = logging.getLogger("salesync.workdays")


@dataclass
class WorkCalendar:
    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)
    _warned: set[int] = field(default_factory=set)

    @classmethod
    def from_file(cls, path: Path | None) -> WorkCalendar:
        if path is None or not path.exists():
            return cls()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(holidays=set(data.get("holidays", [])), workdays=set(data.get("workdays", [])))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned and day.year not in self.covered_years:
                self._warned.add(day.year)
                log.warning("no holiday calendar for %s: counting Monday–Friday as working days", day.year)
            return day.weekday() < 5

    @property
    def covered_years(self) -> set[int]:
        """Years the override file speaks for (its other days are ordinary weekdays and weekends)."""
        return {d.year for d in self.holidays | self.workdays}

    @property
    def fallback_years(self) -> list[int]:
        """Years counted as plain Monday–Friday because neither the package nor the file knew them."""
        return sorted(self._warned)

    def on_or_after(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the next one (a deadline on a holiday moves forward)."""
        return day if self.is_workday(day) else self.next_workday(day)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` ≤ ``start``)."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        day += dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add_workdays(self, day: dt.date, count: int) -> dt.date:
        for _ in range(count):
            day = self.next_workday(day)
        return day

    def end_of(self, day: dt.date) -> dt.datetime:
        """The end of ``day`` in Asia/Shanghai."""
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)

    def entry_deadline(self, first_contact: dt.date) -> dt.datetime:
        """Customer details are due by the end of the next working day after first contact (§3)."""
        return self.end_of(self.next_workday(first_contact))


DEFAULT_CALENDAR = WorkCalendar()
