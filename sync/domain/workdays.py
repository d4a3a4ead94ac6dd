"""The Chinese working-day calendar: statutory holidays and make-up working weekends.

Backed by ``chinese_calendar`` for the years it knows. Later years come from an override file
(TOML: ``holidays = [2027-01-01, …]`` and ``workdays = [2027-02-07, …]``); with neither, plain
Monday–Friday is used and a warning is logged once per year (``fallback_years`` lists those years
so that an interface can say so to its user).

A sales office that works through weekends and statutory holidays declares so for its project
(:mod:`sync.domain.office_calendar`); its calendar is ``every_day``: every day is a working day except the
days off it declared (``holidays``), and the statutory calendar plays no part.

Each calendar is a table built once per process, a year at a time as queries reach the year: one
flag per day, the running count of working days up to each day, and the working days in order.
``workdays_between``, ``next_workday``, ``add_workdays`` and ``on_or_after`` are then index lookups
(我的任务 asks them millions of times for a rep with many customers).
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar
import numpy as np

from schema.base import SHANGHAI

log = logging.getLogger("salesync.workdays")


@dataclass
class WorkCalendar:
    """``holidays`` and ``workdays`` override the base calendar day by day; they are read when the
    table for a year is built, so they are not to be changed once the calendar was asked anything."""

    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)
    every_day: bool = False  # a sales office working through weekends and holidays: only ``holidays`` are off
    _warned: set[int] = field(default_factory=set)
    _table: _Table | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_file(cls, path: Path | None) -> WorkCalendar:
        if path is None or not path.exists():
            return cls()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(holidays=set(data.get("holidays", [])), workdays=set(data.get("workdays", [])))

    # -- the table ---------------------------------------------------------------------------------

    def _day_is_work(self, day: dt.date, fallback: set[int]) -> bool:
        """The rule for one day, used only while a year's table is built."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if self.every_day:
            return True
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self.covered_years:
                fallback.add(day.year)
            return day.weekday() < 5

    def _at(self, years: range) -> _Table:
        """The table, grown to cover ``years`` (and every year between)."""
        table = self._table
        if table is None or years.start < table.first_year or years.stop > table.stop_year:
            first = min(years.start, table.first_year) if table else years.start
            stop = max(years.stop, table.stop_year) if table else years.stop
            table = self._table = _Table.build(self, first, stop)
        return table

    def _index(self, day: dt.date) -> tuple[_Table, int]:
        table = self._at(range(day.year, day.year + 1))
        return table, day.toordinal() - table.first_ordinal

    def _warn(self, first_year: int, last_year: int) -> None:
        """Log once per year that an answer reaching ``first_year``…``last_year`` counted some of
        them as plain Monday–Friday."""
        table = self._table
        if table is None or not table.fallback:
            return
        for year in range(first_year, last_year + 1):
            if year in table.fallback and year not in self._warned:
                self._warned.add(year)
                log.warning("no holiday calendar for %s: counting Monday–Friday as working days", year)

    # -- the questions ----------------------------------------------------------------------------

    def is_workday(self, day: dt.date) -> bool:
        table, i = self._index(day)
        self._warn(day.year, day.year)
        return bool(table.is_work[i])

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
        if end <= start:
            return 0
        table = self._at(range(start.year, end.year + 1))
        self._warn(start.year, end.year)
        base = table.first_ordinal
        return int(table.count[end.toordinal() - base] - table.count[start.toordinal() - base])

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        return self.add_workdays(day, 1)

    def add_workdays(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``day`` (``day`` itself for 0)."""
        if count <= 0:
            return day
        years = 1
        while True:
            table = self._at(range(day.year, day.year + years + 1))
            # count[i] working days up to and including day i: the next one is at that position
            at = int(table.count[day.toordinal() - table.first_ordinal]) + count - 1
            if at < len(table.work_ordinals):
                found = dt.date.fromordinal(int(table.work_ordinals[at]))
                self._warn(day.year, found.year)
                return found
            years += 1 + count // 200  # about 250 working days a year: reach far enough at once

    def end_of(self, day: dt.date) -> dt.datetime:
        """The end of ``day`` in Asia/Shanghai."""
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)

    def entry_deadline(self, first_contact: dt.date) -> dt.datetime:
        """Customer details are due by the end of the next working day after first contact."""
        return self.end_of(self.next_workday(first_contact))

    def same_day_deadline(self, day: dt.date) -> dt.datetime:
        """Deals and receipts are due the day they happen (当日): by the end of that day, or of the
        next working day when it is not one."""
        return self.end_of(self.on_or_after(day))

    def questionnaire_deadline(self, filled_on: dt.date) -> dt.datetime:
        """A deal's questionnaire is due by the end of the 2nd working day after its 填写日期."""
        return self.end_of(self.add_workdays(filled_on, QUESTIONNAIRE_WORKDAYS))


QUESTIONNAIRE_WORKDAYS = 2


@dataclass(frozen=True)
class _Table:
    """Days ``first_ordinal``… of whole years ``first_year``…``stop_year - 1``."""

    first_year: int
    stop_year: int
    first_ordinal: int
    is_work: np.ndarray  # bool per day
    count: np.ndarray  # working days from the first day up to and including each day
    work_ordinals: np.ndarray  # the working days, as ordinals, in order
    fallback: frozenset[int]  # years counted as plain Monday–Friday

    @classmethod
    def build(cls, calendar: WorkCalendar, first_year: int, stop_year: int) -> _Table:
        start = dt.date(first_year, 1, 1).toordinal()
        stop = dt.date(stop_year, 1, 1).toordinal()
        fallback: set[int] = set()
        flags = np.fromiter(
            (calendar._day_is_work(dt.date.fromordinal(o), fallback) for o in range(start, stop)),
            dtype=bool,
            count=stop - start,
        )
        ordinals = np.arange(start, stop, dtype=np.int64)
        return cls(
            first_year,
            stop_year,
            start,
            flags,
            np.cumsum(flags, dtype=np.int64),
            ordinals[flags],
            frozenset(fallback),
        )


DEFAULT_CALENDAR = WorkCalendar()
