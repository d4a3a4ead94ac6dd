"""Master-data plan: a project_master workbook becomes a change set — the exact diff against the data.

Rows are compared by their keys within the projects the workbook covers; a row missing from the
workbook is a removal (kept, with ``removed_at``), never an erasure. In this release the change set
applies at once and every applied item lands in the work log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schema.base import now
from schema.kinds.project_master import KIND
from schema.models import (
    Building,
    ChangeItem,
    ChangeSet,
    Discount,
    PaymentPlan,
    PaymentPlanLine,
    Project,
    Room,
    RoomStatusChange,
)
from schema.spec import Sheet
from sync.plans import IngestContext, PlanResult
from sync.rows import canon, column_values, records, show
from sync.worklog import LogWriter
from validators.findings import Finding, Severity

MODELS: dict[str, Any] = {
    "project": Project,
    "building": Building,
    "room": Room,
    "payment_plan": PaymentPlan,
    "payment_plan_line": PaymentPlanLine,
    "discount": Discount,
}
MASTER_STATUSES = ("待售", "可售", "不可售")


@dataclass
class EntityDiff:
    sheet: Sheet
    added: list[tuple[int, dict[str, Any], Any | None]] = field(
        default_factory=list
    )  # row, values, removed row
    changed: list[tuple[int, Any, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)
    current_count: int = 0


def _key(obj_or_rec: Any, key: tuple[str, ...]) -> tuple[Any, ...]:
    get = obj_or_rec.get if isinstance(obj_or_rec, dict) else lambda f: getattr(obj_or_rec, f)
    return tuple(get(f) for f in key)


def _covered_projects(ctx: IngestContext) -> set[str]:
    codes: set[str] = set()
    for entity, prepared in ctx.book.items():
        frame = prepared.frame
        column = "code" if entity == "project" else "project_code"
        if column in frame and not frame.empty:
            codes |= set(column_values(frame[column])) - {None}
    return codes


def _current(session: Session, entity: str, projects: set[str], plan_codes: set[str]) -> list[Any]:
    model = MODELS[entity]
    if entity == "project":
        stmt = select(model).where(model.code.in_(projects))
    elif entity == "payment_plan_line":
        scoped = select(PaymentPlan.code).where(PaymentPlan.project_code.in_(projects))
        stmt = select(model).where(or_(model.plan_code.in_(scoped), model.plan_code.in_(plan_codes)))
    else:
        stmt = select(model).where(model.project_code.in_(projects))
    return list(session.scalars(stmt))


def _base_rows(ctx: IngestContext, sheet: Sheet) -> dict[tuple[Any, ...], dict[str, Any]] | None:
    if ctx.base is None:
        return None
    prepared = ctx.base.get(sheet.entity)
    if prepared is None or prepared.frame.empty:
        return {}
    return {_key(r, sheet.key): r for r in records(prepared.frame, sheet.fields)}


def _diff(
    ctx: IngestContext, sheet: Sheet, projects: set[str], plan_codes: set[str], result: PlanResult
) -> EntityDiff:
    diff = EntityDiff(sheet)
    prepared = ctx.book.get(sheet.entity)
    incoming = (
        records(prepared.frame, sheet.fields) if prepared is not None and not prepared.frame.empty else []
    )
    rows = [int(r) for r in prepared.frame.index] if prepared is not None else []
    current = {_key(obj, sheet.key): obj for obj in _current(ctx.session, sheet.entity, projects, plan_codes)}
    live = {k: o for k, o in current.items() if o.removed_at is None}
    diff.current_count = len(live)
    base = _base_rows(ctx, sheet)
    seen = set()
    for row, rec in zip(rows, incoming, strict=True):
        key = _key(rec, sheet.key)
        seen.add(key)
        obj = live.get(key)
        if obj is None:
            diff.added.append((row, rec, current.get(key)))
            continue
        changes: dict[str, tuple[Any, Any]] = {}
        base_rec = base.get(key) if base is not None else None
        for name in sheet.fields:
            new, old = rec[name], getattr(obj, name)
            if canon(new) == canon(old):
                continue
            if base_rec is not None and canon(base_rec[name]) != canon(old):
                if canon(base_rec[name]) != canon(new):
                    result.findings.append(
                        Finding(
                            "stale-conflict",
                            sheet.name,
                            row,
                            sheet.header(name),
                            show(new),
                            {
                                "base": ctx.version.based_on_seq,
                                "latest": ctx.workbook.accepted_seq,
                                "current": show(old),
                            },
                            Severity.WARNING,
                        )
                    )
                continue  # someone changed it since the author's copy; the author did not
            changes[name] = (old, new)
        if changes:
            diff.changed.append((row, obj, changes))
    kept_since = 0
    for key, obj in live.items():
        if key in seen:
            continue
        if base is not None and key not in base:
            kept_since += 1  # added by another version after the author's copy: keep it
            continue
        diff.removed.append(obj)
    if kept_since:
        result.findings.append(
            Finding(
                "stale-kept",
                sheet.name,
                None,
                None,
                None,
                {"base": ctx.version.based_on_seq, "count": kept_since},
                Severity.WARNING,
            )
        )
    return diff


def _instruction(ctx: IngestContext) -> dict[str, Any]:
    prepared = ctx.book.get("instruction")
    if prepared is None or prepared.frame.empty:
        return {}
    rec = records(prepared.frame.iloc[:1], ["instruction_date", "instructed_by", "instruction"])[0]
    return rec


def _row_text(sheet: Sheet, values: dict[str, Any]) -> str:
    return json.dumps({sheet.header(f): show(values.get(f)) for f in sheet.fields}, ensure_ascii=False)


def _apply(ctx: IngestContext, diffs: list[EntityDiff], change_set: ChangeSet) -> int:
    session, version = ctx.session, ctx.version
    log = LogWriter(session, ctx.account.id, version.id, change_set.id)
    stamp = now()
    written = 0
    for diff in diffs:
        sheet, model = diff.sheet, MODELS[diff.sheet.entity]
        for row, values, former in diff.added:
            key = "/".join(str(v) for v in _key(values, sheet.key))
            if former is not None:  # a removed row comes back
                for name, value in values.items():
                    setattr(former, name, value)
                former.removed_at = None
                former.version_id = version.id
            else:
                extra = {"status": values["initial_status"]} if sheet.entity == "room" else {}
                session.add(model(**values, **extra, version_id=version.id))
            change_set.items.append(
                ChangeItem(
                    entity=sheet.entity,
                    key=key,
                    op="add",
                    new=_row_text(sheet, values),
                    sheet=sheet.name,
                    row=row,
                )
            )
            log.append(sheet.entity, key, "add", {f: show(v) for f, v in values.items()})
            written += 1
        for row, obj, changes in diff.changed:
            key = "/".join(str(v) for v in _key(obj, sheet.key))
            for name, (old, new) in changes.items():
                setattr(obj, name, new)
                change_set.items.append(
                    ChangeItem(
                        entity=sheet.entity,
                        key=key,
                        op="change",
                        field=name,
                        old=show(old),
                        new=show(new),
                        sheet=sheet.name,
                        row=row,
                    )
                )
            if sheet.entity == "room" and "initial_status" in changes and obj.status in MASTER_STATUSES:
                session.add(
                    RoomStatusChange(
                        room_code=obj.code,
                        from_status=obj.status,
                        to_status=obj.initial_status,
                        account_id=ctx.account.id,
                        version_id=version.id,
                        cause="master_data",
                    )
                )
                obj.status = obj.initial_status
            obj.version_id = version.id
            log.append(sheet.entity, key, "change", {f: [show(o), show(n)] for f, (o, n) in changes.items()})
            written += 1
        for obj in diff.removed:
            key = "/".join(str(v) for v in _key(obj, sheet.key))
            obj.removed_at = stamp
            obj.version_id = version.id
            old_values = {f: getattr(obj, f) for f in sheet.fields}
            change_set.items.append(
                ChangeItem(
                    entity=sheet.entity,
                    key=key,
                    op="remove",
                    old=_row_text(sheet, old_values),
                    sheet=sheet.name,
                )
            )
            log.append(sheet.entity, key, "remove", {})
            written += 1
        session.flush()
    return written


def apply_master_data(ctx: IngestContext) -> PlanResult:
    result = PlanResult()
    projects = _covered_projects(ctx)
    plans = ctx.book.get("payment_plan")
    plan_codes = (
        set(column_values(plans.frame["code"])) if plans is not None and not plans.frame.empty else set()
    )
    diffs = [_diff(ctx, KIND.sheet(entity), projects, plan_codes, result) for entity in MODELS]
    removed = sum(len(d.removed) for d in diffs)
    total = sum(d.current_count for d in diffs)
    if not ctx.allow_removals and removed >= ctx.hold_minimum and total and removed / total > ctx.hold_ratio:
        result.held = True
        result.findings.append(
            Finding("too-many-removals", None, None, None, None, {"removed": removed, "total": total})
        )
        return result
    if not any(d.added or d.changed or d.removed for d in diffs):
        return result
    instruction = _instruction(ctx)
    change_set = ChangeSet(
        version_id=ctx.version.id,
        kind=KIND.id,
        project_codes=",".join(sorted(projects)),
        is_initial=any(not d.current_count and d.added for d in diffs if d.sheet.entity == "project"),
        status="已生效",
        applied_at=now(),
        rows_added=sum(len(d.added) for d in diffs),
        rows_changed=sum(len(d.changed) for d in diffs),
        rows_removed=removed,
        **instruction,
    )
    ctx.session.add(change_set)
    ctx.session.flush()
    result.rows_written = _apply(ctx, diffs, change_set)
    result.change_set_id = change_set.id
    return result
