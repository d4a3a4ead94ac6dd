"""The machinery 我的任务's pages are cut with (:mod:`sync.domain.task_pages` says why it is correct): a
kind read from the database in the order of its event date (:class:`Stream`), a kind computed whole
(:class:`Computed`, :class:`Lazy`), the bisection that turns a condition on the due date into one on the
event date, and two SQL helpers that behave alike on SQLite and PostgreSQL (money in whole cents, a
date plus a number of days)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import BigInteger, ColumnElement, Date, and_, cast, false, func, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from schema.base import SHANGHAI
from sync.domain.tasks import Task, sort_key
from sync.domain.workdays import WorkCalendar

OVERDUE, DUE = "overdue", "due"

REACH = dt.timedelta(days=3660)  # how far back a bisection looks for an event date


class Source(Protocol):
    kind: str

    def count(self, state: str) -> int: ...

    def first(self, n: int, descending: bool, state: str = "") -> list[Task]: ...


def last_true(pred: Callable[[dt.date], bool], lo: dt.date, hi: dt.date) -> dt.date | None:
    """The last day in ``lo``…``hi`` where ``pred`` holds, for a ``pred`` that holds up to a day and
    never after it (None when it does not hold at ``lo``)."""
    if hi < lo or not pred(lo):
        return None
    a, b = lo.toordinal(), hi.toordinal()
    while a < b:
        mid = (a + b + 1) // 2
        if pred(dt.date.fromordinal(mid)):
            a = mid
        else:
            b = mid - 1
    return dt.date.fromordinal(a)


@dataclass
class Stream:
    """One kind on one calendar, read in the order of its event date (see the module's docstring)."""

    kind: str
    session: Session
    today: dt.date
    cal: WorkCalendar
    stmt: Any  # the rows, with every condition of the kind and of the query
    event: Any  # the event date's column (a date or a time)
    subject: Any
    due_of: Callable[[dt.date], dt.date]  # event day → due date (monotone, never earlier)
    make: Callable[[Any, dt.date, int], Task]  # row, due, overdue → task
    timed: bool = False  # the event is a time: its day is the day in Asia/Shanghai
    rowid: Any = None  # what tells apart rows of one subject (an instalment's number)

    def _day(self, value: Any) -> dt.date:
        return value.astimezone(SHANGHAI).date() if self.timed else value

    def _id(self, row: Any) -> tuple[Any, ...]:
        return (row.subject, getattr(row, "seq", None) if self.rowid is not None else None)

    def on_or_before(self, day: dt.date) -> ColumnElement[bool]:
        """The event's day is ``day`` or earlier."""
        if self.timed:
            return self.event < dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
        return self.event <= day

    def _state(self, state: str) -> ColumnElement[bool]:
        if state not in (OVERDUE, DUE):
            return true()
        last = last_true(
            lambda d: self.cal.workdays_between(self.due_of(d), self.today) > 0,
            self.today - REACH,
            self.today,
        )
        overdue = self.on_or_before(last) if last is not None else false()
        return overdue if state == OVERDUE else ~overdue

    def count(self, state: str) -> int:
        stmt = self.stmt.where(self._state(state)).order_by(None)
        return int(self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)

    def first(self, n: int, descending: bool, state: str = "") -> list[Task]:
        stmt = self.stmt.where(self._state(state))
        keys = [self.event, self.subject] + ([self.rowid] if self.rowid is not None else [])
        order = [k.desc() for k in keys] if descending else keys
        rows = list(self.session.execute(stmt.order_by(*order).limit(n)))
        if len(rows) == n and rows:  # the rows whose due date ties with the n-th row's
            last = self._day(rows[-1].event)
            due = self.due_of(last)
            if descending:
                before = last_true(lambda d: self.due_of(d) < due, due - REACH, last)
                ties = ~self.on_or_before(before) if before is not None else true()
                ties = and_(ties, self.on_or_before(last))
            else:
                upto = last_true(lambda d: self.due_of(d) <= due, last, due) or last
                ties = and_(self.on_or_before(upto), ~self.on_or_before(last - dt.timedelta(days=1)))
            seen = {self._id(r) for r in rows}
            rows += [
                r for r in self.session.execute(stmt.where(ties).order_by(*keys)) if self._id(r) not in seen
            ]
        tasks = []
        for row in rows:
            due = self.due_of(self._day(row.event))
            tasks.append(self.make(row, due, self.cal.workdays_between(due, self.today)))
        tasks.sort(key=sort_key, reverse=descending)
        return tasks[:n]


@dataclass
class Computed:
    """Tasks of one kind computed in Python (few, or computed from SQL-selected candidates only)."""

    kind: str
    tasks: list[Task]

    def _of(self, state: str) -> list[Task]:
        if state == OVERDUE:
            return [t for t in self.tasks if t.overdue]
        if state == DUE:
            return [t for t in self.tasks if not t.overdue]
        return self.tasks

    def count(self, state: str) -> int:
        return len(self._of(state))

    def first(self, n: int, descending: bool, state: str = "") -> list[Task]:
        return sorted(self._of(state), key=sort_key, reverse=descending)[:n]


@dataclass
class Lazy:
    """Rows of one kind read whole, ordered by their task's key; only the rows a page shows become
    tasks (``make``: row, due, overdue → task)."""

    kind: str
    rows: list[tuple[tuple[int, dt.date, int, str, int], Any]]
    make: Callable[[Any, dt.date, int], Task]

    def _of(self, state: str) -> list[tuple[tuple[int, dt.date, int, str, int], Any]]:
        if state == OVERDUE:
            return [r for r in self.rows if r[0][0] < 0]
        if state == DUE:
            return [r for r in self.rows if r[0][0] == 0]
        return self.rows

    def count(self, state: str) -> int:
        return len(self._of(state))

    def first(self, n: int, descending: bool, state: str = "") -> list[Task]:
        chosen = sorted(self._of(state), key=lambda r: r[0], reverse=descending)[:n]
        return [self.make(row, key[1], -key[0]) for key, row in chosen]


def cents_of(column: Any) -> Any:
    """A money column in whole cents (exact on SQLite, whose numbers are floats, and on PostgreSQL)."""
    return cast(func.round(column * 100), BigInteger)


class date_plus_days(FunctionElement[dt.date]):
    """``day`` plus ``days`` days, as a date, on SQLite and PostgreSQL."""

    type = Date()
    inherit_cache = True
    name = "date_plus_days"


@compiles(date_plus_days)
def _date_plus_days_pg(element: Any, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} + {compiler.process(days, **kw)})"


@compiles(date_plus_days, "sqlite")
def _date_plus_days_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, printf('%+d days', {compiler.process(days, **kw)}))"
