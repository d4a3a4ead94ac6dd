"""Stored report runs: a past period's report run again says which rows changed since, and why.

Every run of a report for a project, period and as-of day keeps a digest per row key. Run again,
the report is compared with the latest earlier run of the same scope: a row whose digest differs
(or that is new, or gone) is marked, with the late entries that explain it — entries dated on or
before the as-of day inside the period that the system saw only after the earlier run (a receipt,
a deal, a contract, a special transaction, a room status change), each with its workbook version.
Nothing dated after the as-of day can change the figures (``sync.domain.asof``), so a mark always has a
reason in the books.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import (
    Building,
    Contract,
    Receipt,
    ReportRun,
    ReportRunRow,
    Room,
    RoomStatusChange,
    SpecialTransaction,
    Subscription,
    WorkbookVersion,
)
from sync.domain.asof import end_of
from sync.kinds.reports import ReportSpec
from sync.reports import Scope


@dataclass(frozen=True)
class LateEntry:
    """An entry dated on or before the as-of day that the system saw after an earlier run."""

    what: str  # e.g. 收款 P009
    day: dt.date  # its business date
    version_id: int | None
    seen_at: dt.datetime
    tokens: frozenset[str]  # the 认购编号, 票据编号, 事务编号, room and building it concerns

    def describe(self) -> str:
        seen = self.seen_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        version = f"版本 #{self.version_id}，" if self.version_id else ""
        return f"录入延迟：{self.what}（{self.day}，{version}{seen} 录入）"


@dataclass
class RunMarks:
    """What a run found against the latest earlier run of the same scope."""

    run_id: int
    previous_run_id: int | None
    previous_at: dt.datetime | None
    changed: dict[str, str] = field(default_factory=dict)  # row key → why

    def mark_of(self, key: str) -> str | None:
        return self.changed.get(key)


def _canon(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        return f"{Decimal(str(value)):.4f}"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def row_keys(spec: ReportSpec, frame: pd.DataFrame) -> list[str]:
    return [
        "/".join(str(_canon(v)) for v in values) for values in frame[list(spec.key)].itertuples(index=False)
    ]


def digests(spec: ReportSpec, frame: pd.DataFrame) -> dict[str, str]:
    """Row key → digest of the row's cells."""
    out = {}
    for key, values in zip(row_keys(spec, frame), frame[spec.fields].itertuples(index=False), strict=True):
        text = json.dumps([_canon(v) for v in values], ensure_ascii=False)
        out[key] = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return out


def record_run(
    session: Session, spec: ReportSpec, scope: Scope, frame: pd.DataFrame, account_id: int | None = None
) -> RunMarks:
    """Store this run and mark the rows that differ from the latest earlier run of the same scope."""
    previous = session.scalar(
        select(ReportRun)
        .where(
            ReportRun.report_id == spec.id,
            ReportRun.project_code == scope.project_code,
            ReportRun.period_from == scope.period_from,
            ReportRun.period_to == scope.period_to,
            ReportRun.as_of == scope.as_of,
        )
        .order_by(ReportRun.id.desc())
        .limit(1)
    )
    run = ReportRun(
        report_id=spec.id,
        project_code=scope.project_code,
        period_from=scope.period_from,
        period_to=scope.period_to,
        as_of=scope.as_of,
        run_at=now(),
        account_id=account_id,
    )
    session.add(run)
    session.flush()
    current = digests(spec, frame)
    session.add_all(ReportRunRow(run_id=run.id, row_key=k, digest=d) for k, d in current.items())
    marks = RunMarks(run.id, previous.id if previous else None, previous.run_at if previous else None)
    if previous is None:
        return marks
    before = {
        k: d
        for k, d in session.execute(
            select(ReportRunRow.row_key, ReportRunRow.digest).where(ReportRunRow.run_id == previous.id)
        )
    }
    moved = {k for k in current if before.get(k) != current[k]} | (set(before) - set(current))
    if not moved:
        return marks
    entries = late_entries(session, scope, previous.run_at)
    cells = dict(zip(row_keys(spec, frame), frame[spec.fields].itertuples(index=False), strict=True))
    for key in sorted(moved):
        tokens = {str(_canon(v)) for v in cells.get(key, ())} | set(key.split("/"))
        why = [e.describe() for e in entries if e.tokens & tokens]
        if key not in current:
            marks.changed[key] = "；".join(why) or "上次运行有此行，本次没有"
        else:
            marks.changed[key] = "；".join(why) or ("新增行" if key not in before else "与上次运行不同")
    return marks


def late_entries(session: Session, scope: Scope, since: dt.datetime) -> list[LateEntry]:
    """Entries dated in the period up to the as-of day that the system saw after ``since``."""
    start, day = scope.period_from, scope.as_of
    project = scope.project_code
    building_name = {
        r: n
        for r, n in session.execute(
            select(Room.code, Building.name)
            .join(
                Building, (Building.code == Room.building_code) & (Building.project_code == Room.project_code)
            )
            .where(Room.project_code == project)
        )
    }

    def tokens(*values: str | None) -> frozenset[str]:
        found = {v for v in values if v}
        found |= {building_name[v] for v in values if v in building_name}
        return frozenset(found)

    out: list[LateEntry] = []
    seen = WorkbookVersion.seen_at
    receipts = (
        select(Receipt, Subscription.no, Subscription.room_code, seen)
        .join(Subscription, Subscription.id == Receipt.subscription_id)
        .join(WorkbookVersion, WorkbookVersion.id == Receipt.version_id)
        .where(
            Receipt.project_code == project,
            seen > since,
            Receipt.paid_at >= dt.datetime.combine(start, dt.time(), SHANGHAI),
            Receipt.paid_at < end_of(day),
        )
    )
    for r, no, room, at in session.execute(receipts):
        out.append(
            LateEntry(
                f"收款 {r.no}",
                r.paid_at.astimezone(SHANGHAI).date(),
                r.version_id,
                at,
                tokens(r.no, no, room),
            )
        )
    subs = (
        select(Subscription, seen)
        .join(WorkbookVersion, WorkbookVersion.id == Subscription.version_id)
        .where(
            Subscription.project_code == project,
            seen > since,
            Subscription.date >= start,
            Subscription.date <= day,
        )
    )
    for sub, at in session.execute(subs):
        out.append(LateEntry(f"认购 {sub.no}", sub.date, sub.version_id, at, tokens(sub.no, sub.room_code)))
    specials = (
        select(SpecialTransaction, Subscription.no, seen)
        .join(Subscription, Subscription.id == SpecialTransaction.subscription_id)
        .join(WorkbookVersion, WorkbookVersion.id == SpecialTransaction.version_id)
        .where(
            Subscription.project_code == project,
            seen > since,
            SpecialTransaction.date >= start,
            SpecialTransaction.date <= day,
        )
    )
    for tx, no, at in session.execute(specials):
        out.append(
            LateEntry(
                f"{tx.kind} {tx.no}",
                tx.date,
                tx.version_id,
                at,
                tokens(tx.no, no, tx.old_room_code, tx.new_room_code),
            )
        )
    contracts = (
        select(Contract, Subscription.no, Subscription.room_code, seen)
        .join(Subscription, Subscription.id == Contract.subscription_id)
        .join(WorkbookVersion, WorkbookVersion.id == Contract.version_id)
        .where(
            Subscription.project_code == project, seen > since, Contract.date >= start, Contract.date <= day
        )
    )
    for c, no, room, at in session.execute(contracts):
        out.append(LateEntry(f"签约 {c.no}", c.date, c.version_id, at, tokens(c.no, no, room)))
    changes = (
        select(RoomStatusChange)
        .join(Room, Room.code == RoomStatusChange.room_code)
        .where(
            Room.project_code == project,
            RoomStatusChange.at > since,
            RoomStatusChange.business_date >= start,
            RoomStatusChange.business_date <= day,
        )
    )
    for change in session.scalars(changes):
        assert change.business_date is not None
        out.append(
            LateEntry(
                f"房间 {change.room_code} {change.cause or ''}→{change.to_status}",
                change.business_date,
                change.version_id,
                change.at,
                tokens(change.room_code, change.ref),
            )
        )
    return out
