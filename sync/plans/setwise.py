"""Set-based helpers for the deal kinds' plans: the rows that changed, built from the typed frame
only for those rows; the project scope decided once per project; one work-log call per sheet.

The row-by-row plans (:mod:`sync.plans.rowwise`) build a :class:`Row` for every row of the sheet and
then drop the ones the database already holds. Here the fingerprints are computed over the frame
first, the database's fingerprints are read in one query, and only the changed rows become
:class:`Row` objects — a re-save of a big workbook costs its changed rows, not its size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import Account, Project, Region
from schema.spec import ColType
from sync.core.errors import RowRefused
from sync.core.rows import column_values, records, row_hashes, show
from sync.domain.lookups import chunks
from sync.domain.office_calendar import calendar_for
from sync.domain.worklog import Change, LogWriter
from sync.plans.context import IngestContext
from sync.plans.rowwise import Row, entry_deadline


def changed_rows(
    ctx: IngestContext, entity: str, date_field: str | None, rank: int, known: dict[tuple[Any, ...], str]
) -> list[Row]:
    """What ``changed_only(rows_of(ctx, entity, date_field, rank), known)`` gives — the same rows,
    values, order and fingerprints — without building a row the database already holds."""
    prepared = ctx.book.get(entity)
    if prepared is None or prepared.frame.empty:
        return []
    sheet, frame = prepared.sheet, prepared.frame
    digests = row_hashes(frame, sheet.fields)
    keys = list(zip(*(column_values(frame[f]) for f in sheet.key), strict=True)) if sheet.key else []
    if keys:
        picked = [i for i, (k, d) in enumerate(zip(keys, digests, strict=True)) if known.get(k) != d]
    else:
        picked = list(range(len(frame)))
    if not picked:
        return []
    part = frame.iloc[picked] if len(picked) < len(frame) else frame
    base: dict[tuple[Any, ...], str] = {}
    stale = ctx.base.get(entity) if ctx.base is not None else None
    if stale is not None and not stale.frame.empty and sheet.key:
        stale_keys = zip(*(column_values(stale.frame[f]) for f in sheet.key), strict=True)
        base = dict(zip(stale_keys, row_hashes(stale.frame, sheet.fields), strict=True))
    raw_frame = prepared.raw
    if len(raw_frame) == len(frame):
        raw_part = raw_frame.iloc[picked] if len(picked) < len(frame) else raw_frame
        raws: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in raw_part.to_dict("records")]
    else:  # the strings as read are not kept: findings show the typed values
        raws = [{} for _ in picked]
    decimals = {c.field: c.decimals or 2 for c in sheet.columns if c.type is ColType.DECIMAL}
    out = []
    for excel_row, values, raw, i in zip(part.index, records(part, sheet.fields), raws, picked, strict=True):
        for name, places in decimals.items():  # money and areas as exact decimals
            if values[name] is not None:
                values[name] = Decimal(f"{values[name]:.{places}f}")
        day = values.get(date_field) if date_field else None
        if isinstance(day, dt.datetime):
            day = day.astimezone(SHANGHAI).date()
        order = (day or dt.date.min, rank, int(excel_row))
        key = tuple(values[f] for f in sheet.key)
        out.append(Row(sheet, int(excel_row), values, raw, digests[i], order, base_digest=base.get(key)))
    return out


Refusal = tuple[str, dict[str, Any]]


def scope_refusals(
    session: Session, account: Account, project_codes: Iterable[str]
) -> dict[str, Refusal | None]:
    """:func:`sync.plans.rowwise.check_scope` for many projects at once: per project, the refusal
    (code and parameters) a row of it gets, or None. Two queries, whatever the number of rows."""
    codes = sorted(set(project_codes))
    projects: dict[str, Project] = {}
    for batch in chunks(codes):
        projects.update({p.code: p for p in session.scalars(select(Project).where(Project.code.in_(batch)))})
    region = session.get(Region, account.region_id) if account.region_id is not None else None
    out: dict[str, Refusal | None] = {}
    for code in codes:
        project = projects.get(code)
        if project is None or project.removed_at is not None:
            out[code] = ("deal-project-unknown", {})
        elif region is not None and region.code != project.region_code:
            out[code] = ("project-not-in-region", {"project": project.code, "region": region.code})
        else:
            out[code] = None
    return out


def refuse_if(refusal: Refusal | None, field_name: str) -> None:
    if refusal is not None:
        code, params = refusal
        raise RowRefused(code, field_name, **params)


class Deadlines:
    """:func:`sync.plans.rowwise.warn_if_late` with each project's calendar and each day's deadline
    worked out once."""

    def __init__(self, ctx: IngestContext) -> None:
        self.ctx = ctx
        self._due: dict[tuple[str | None, dt.date], str | None] = {}  # the deadline as shown, if passed

    def warn_if_late(self, row: Row, field_name: str, day: dt.date, project_code: str | None) -> None:
        key = (project_code, day)
        if key not in self._due:
            due = entry_deadline(day, calendar_for(self.ctx.session, project_code))
            self._due[key] = due.strftime("%Y-%m-%d %H:%M") if self.ctx.version.seen_at > due else None
        shown = self._due[key]
        if shown is not None:
            row.warn("deal-late-entry", field_name, deadline=shown)


def log_applied(ctx: IngestContext, rows: Sequence[Row]) -> None:
    """The work log of one sheet's applied rows that changed existing rows, in one call: each row's
    key and values, as the row-by-row plans record them. New rows are sealed by digest instead
    (:mod:`sync.plans.sealing`)."""
    if not rows:
        return
    if ctx.log is None:
        ctx.log = LogWriter(ctx.session, ctx.account.id, ctx.version.id)
    ctx.log.append_many(
        Change(
            row.sheet.entity,
            " / ".join(str(v) for v in row.key)[:200],
            "写入",
            changes=Change.detail(
                {row.sheet.header(f): show(v) for f, v in row.values.items() if f in row.sheet.fields}
            ),
        )
        for row in rows
    )
