"""Row-by-row application for the deal kinds (销控, 收款, 销售服务).

Their rows are events with an order (a hold, then its release, then the subscription of the room),
so each accepted row is applied in date order, inside its own savepoint: a row a domain rule
refuses (:class:`sync.domain.rooms.Refused`) becomes a finding at its cell and leaves the database as it
was. Rows whose fingerprint equals what the database already holds are skipped, so a later version
of the same workbook costs only its changed rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import Account, Project, Region, StoredFile, WorkbookVersion
from schema.spec import ColType, Sheet
from sync.core.errors import RowRefused
from sync.core.rows import column_values, records, row_hashes, show
from sync.domain.lookups import chunks
from sync.domain.office_calendar import calendar_for
from sync.domain.rooms import Actor
from sync.domain.workdays import DEFAULT_CALENDAR, WorkCalendar
from sync.domain.worklog import Change, LogWriter
from sync.plans.context import IngestContext, PlanResult
from sync.xlsx.reader import read_workbook
from validators.findings import Finding, Severity, display
from validators.frames import Prepared, prepare


@dataclass
class Row:
    """One accepted workbook row: its typed values, raw cells, fingerprint and place in the order."""

    sheet: Sheet
    row: int
    values: dict[str, Any]
    raw: dict[str, Any]
    digest: str
    order: tuple[Any, ...]
    warnings: list[Finding] = field(default_factory=list)
    base_digest: str | None = None  # the same row in the version a stale copy was saved from

    @property
    def untouched_since_base(self) -> bool:
        """Saved from a stale copy and not edited there: it must not undo what synced since."""
        return self.base_digest is not None and self.base_digest == self.digest

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def key(self) -> tuple[Any, ...]:
        return tuple(self.values[f] for f in self.sheet.key)

    def finding(self, code: str, field_name: str | None, severity: Severity, /, **params: Any) -> Finding:
        header = self.sheet.header(field_name) if field_name else None
        value = None
        if field_name:  # the cell as typed; the typed value where the strings are not kept
            value = display(self.raw[field_name] if field_name in self.raw else self.values.get(field_name))
        return Finding(code, self.sheet.name, self.row, header, value, dict(params), severity)

    def warn(self, code: str, field_name: str | None = None, /, **params: Any) -> None:
        self.warnings.append(self.finding(code, field_name, Severity.WARNING, **params))


Handler = Callable[[Row], int]


def rows_of(ctx: IngestContext, entity: str, date_field: str | None, rank: int) -> list[Row]:
    """The accepted rows of a sheet, ordered by ``date_field`` then by ``rank`` (the sheet's place)."""
    prepared = ctx.book.get(entity)
    if prepared is None or prepared.frame.empty:
        return []
    sheet, frame = prepared.sheet, prepared.frame
    digests = row_hashes(frame, sheet.fields)
    base: dict[tuple[Any, ...], str] = {}
    stale = ctx.base.get(entity) if ctx.base is not None else None
    if stale is not None and not stale.frame.empty and sheet.key:
        keys = zip(*(column_values(stale.frame[f]) for f in sheet.key), strict=True)
        base = dict(zip(keys, row_hashes(stale.frame, sheet.fields), strict=True))
    raw_frame = prepared.raw
    if len(raw_frame) == len(frame):
        raws: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in raw_frame.to_dict("records")]
    else:  # the strings as read are not kept: findings show the typed values
        raws = [{} for _ in range(len(frame))]
    decimals = {c.field: c.decimals or 2 for c in sheet.columns if c.type is ColType.DECIMAL}
    out = []
    for excel_row, values, raw, digest in zip(
        frame.index, records(frame, sheet.fields), raws, digests, strict=True
    ):
        for name, places in decimals.items():  # money and areas as exact decimals
            if values[name] is not None:
                values[name] = Decimal(f"{values[name]:.{places}f}")
        day = values.get(date_field) if date_field else None
        if isinstance(day, dt.datetime):
            day = day.astimezone(SHANGHAI).date()
        order = (day or dt.date.min, rank, int(excel_row))
        key = tuple(values[f] for f in sheet.key)
        out.append(Row(sheet, int(excel_row), values, raw, digest, order, base_digest=base.get(key)))
    return out


def known_hashes(
    session: Session, stmt: Any, column: Any, values: Iterable[Any]
) -> dict[tuple[Any, ...], str]:
    """Fingerprints the database holds, by key: ``stmt`` selects the key columns then ``row_hash``,
    and is narrowed to ``column IN values`` chunk by chunk."""
    out: dict[tuple[Any, ...], str] = {}
    for batch in chunks(sorted(set(values))):
        for *key, digest in session.execute(stmt.where(column.in_(batch))):
            if digest is not None:
                out[tuple(key)] = digest
    return out


def changed_only(rows: list[Row], known: dict[tuple[Any, ...], str]) -> list[Row]:
    """The rows whose fingerprint differs from what the database holds for their key: a later
    version of a workbook costs only its changed rows, not a savepoint per row."""
    return [r for r in rows if known.get(r.key) != r.digest]


def apply_rows(
    ctx: IngestContext, result: PlanResult, rows: Iterable[Row], handlers: dict[str, Handler]
) -> None:
    """Apply rows in order, each in a savepoint; a refused row is rolled back and reported. Every
    applied row goes to the work log with its values."""
    session = ctx.session
    applied: list[Row] = []
    for row in sorted(rows, key=lambda r: r.order):
        try:
            with session.begin_nested():
                written = handlers[row.sheet.entity](row)
                session.flush()
        except RowRefused as refused:
            result.findings.append(row.finding(refused.code, refused.field, Severity.ERROR, **refused.params))
            continue
        result.rows_written += written
        result.findings.extend(row.warnings)
        if written:
            applied.append(row)
    if applied:
        if ctx.log is None:
            ctx.log = LogWriter(session, ctx.account.id, ctx.version.id)
        ctx.log.append_many(
            Change(
                row.sheet.entity,
                " / ".join(str(v) for v in row.key)[:200],
                "写入",
                changes=Change.detail(
                    {row.sheet.header(f): show(v) for f, v in row.values.items() if f in row.sheet.fields}
                ),
            )
            for row in applied
        )


def actor(ctx: IngestContext) -> Actor:
    return Actor(ctx.account.id, ctx.version.id, ctx.version.seen_at)


_REREAD: WeakKeyDictionary[WorkbookVersion, dict[str, pd.DataFrame]] = WeakKeyDictionary()


def all_keys(ctx: IngestContext, entity: str, fields: Sequence[str]) -> set[tuple[Any, ...]]:
    """The keys of every row of a sheet in this version, rejected rows included (a rejected row is
    not a missing row). Read again, once per version, from the version's kept bytes."""
    frames = _REREAD.get(ctx.version)
    if frames is None:
        stored = ctx.session.get(StoredFile, ctx.version.sha256)
        raw = read_workbook(stored.content) if stored is not None else None
        frames = {e: prepare(s.spec, s.frame).frame for e, s in raw.sheets.items()} if raw is not None else {}
        _REREAD[ctx.version] = frames
    frame = frames.get(entity)
    if frame is None or not len(frame):
        return set()
    return set(zip(*(column_values(frame[f]) for f in fields), strict=True))


def base_keys(ctx: IngestContext, entity: str, fields: Sequence[str]) -> set[tuple[Any, ...]] | None:
    """The keys of the stamped version a stale copy was saved from (``None`` when not stale)."""
    if ctx.base is None:
        return None
    prepared: Prepared | None = ctx.base.get(entity)
    if prepared is None or prepared.frame.empty:
        return set()
    frame = prepared.frame
    return set(zip(*(column_values(frame[f]) for f in fields), strict=True))


def held_for_removals(ctx: IngestContext, result: PlanResult, removed: int, total: int) -> bool:
    """A version removing an unusual share of rows is held for confirmation, like master data."""
    if not ctx.allow_removals and removed >= ctx.hold_minimum and total and removed / total > ctx.hold_ratio:
        result.held = True
        result.findings.append(Finding("too-many-removals", params={"removed": removed, "total": total}))
        return True
    return False


def check_scope(session: Session, account: Account, project_code: str, field_name: str) -> Project:
    """The project exists and lies in the submitting account's region."""
    project = session.scalar(select(Project).where(Project.code == project_code))
    if project is None or project.removed_at is not None:
        raise RowRefused("deal-project-unknown", field_name)
    if account.region_id is not None:
        region = session.get(Region, account.region_id)
        if region is not None and region.code != project.region_code:
            raise RowRefused("project-not-in-region", field_name, project=project.code, region=region.code)
    return project


def entry_deadline(day: dt.date, calendar: WorkCalendar = DEFAULT_CALENDAR) -> dt.datetime:
    """The day's deals and receipts are due the same day (当日): by the end of that working day, or
    of the next one when the day is not one on the project's calendar."""
    return calendar.same_day_deadline(day)


def warn_if_late(
    ctx: IngestContext, row: Row, field_name: str, day: dt.date, project_code: str | None = None
) -> None:
    deadline = entry_deadline(day, calendar_for(ctx.session, project_code))
    if ctx.version.seen_at > deadline:
        row.warn("deal-late-entry", field_name, deadline=deadline.strftime("%Y-%m-%d %H:%M"))
