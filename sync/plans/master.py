"""Master-data plan: a project_master workbook becomes a change set — the exact diff against the data.

Rows are compared by their keys within the projects the workbook covers; a row missing from the
workbook is a removal (kept, with ``removed_at``), never an erasure. Ingest only records the change
set, pending (待签); a newer accepted version of the same workbook supersedes its pending ones.
``sync.signing`` applies a change set once its signatures suffice, from its items — exactly what
was signed — after checking that each item's old value is still what the database holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
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
    WorkbookVersion,
)
from schema.models.audit import PENDING, SUPERSEDED
from schema.spec import ColType, Column, Sheet
from sync.plans import IngestContext, PlanResult, guard
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


def _key_text(values: Any, sheet: Sheet) -> str:
    return "/".join(str(v) for v in _key(values, sheet.key))


def _items(diffs: list[EntityDiff]) -> list[ChangeItem]:
    """The change set's items: a row added, a field changed (old → new), a row removed."""
    items: list[ChangeItem] = []
    for diff in diffs:
        sheet = diff.sheet
        for row, values, _former in diff.added:
            key = _key_text(values, sheet)
            items.append(
                ChangeItem(
                    entity=sheet.entity,
                    key=key,
                    op="add",
                    new=_row_text(sheet, values),
                    sheet=sheet.name,
                    row=row,
                )
            )
        for row, obj, changes in diff.changed:
            key = _key_text(obj, sheet)
            items.extend(
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
                for name, (old, new) in changes.items()
            )
        for obj in diff.removed:
            values = {f: getattr(obj, f) for f in sheet.fields}
            items.append(
                ChangeItem(
                    entity=sheet.entity,
                    key=_key_text(obj, sheet),
                    op="remove",
                    old=_row_text(sheet, values),
                    sheet=sheet.name,
                )
            )
    return items


def content_hash(change_set: ChangeSet) -> str:
    """SHA-256 of what a signer approves: the projects, whether initial, and every item in order."""
    body = [
        change_set.kind,
        change_set.project_codes,
        bool(change_set.is_initial),
        [[i.entity, i.key, i.op, i.field, i.old, i.new] for i in change_set.items],
    ]
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _supersede(ctx: IngestContext) -> list[ChangeSet]:
    """Mark this workbook's pending change sets superseded (kept, never deleted)."""
    older = list(
        ctx.session.scalars(
            select(ChangeSet)
            .join(WorkbookVersion, ChangeSet.version_id == WorkbookVersion.id)
            .where(WorkbookVersion.workbook_id == ctx.workbook.id, ChangeSet.status == PENDING)
            .order_by(ChangeSet.id)
            .with_for_update()
        )
    )
    for change_set in older:
        change_set.status = SUPERSEDED
    return older


def apply_master_data(ctx: IngestContext) -> PlanResult:
    """Diff the workbook against the data and record the result as a pending change set."""
    from sync.signing import required_titles  # the signing rules live with the signing service

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
    refused = guard.orphans(ctx.session, _items(diffs))
    if refused:  # the whole change set is refused: the signers never see a change that orphans a deal
        result.findings += [o.finding() for o in refused]
        deals = "、".join(sorted({o.deal for o in refused}))
        result.findings.append(Finding("master-orphans-deals", params={"deals": deals}))
        return result
    older = _supersede(ctx)
    change_set: ChangeSet | None = None
    if any(d.added or d.changed or d.removed for d in diffs):
        change_set = ChangeSet(
            version_id=ctx.version.id,
            kind=KIND.id,
            project_codes=",".join(sorted(projects)),
            is_initial=any(d.added for d in diffs if d.sheet.entity == "project"),
            status=PENDING,
            rows_added=sum(len(d.added) for d in diffs),
            rows_changed=sum(len(d.changed) for d in diffs),
            rows_removed=removed,
            **_instruction(ctx),
        )
        change_set.items = _items(diffs)
        change_set.content_hash = content_hash(change_set)
        ctx.session.add(change_set)
        ctx.session.flush()
        result.change_set_id = change_set.id
        result.findings.append(
            Finding(
                "change-set-pending",
                params={
                    "change_set": change_set.id,
                    "added": change_set.rows_added,
                    "changed": change_set.rows_changed,
                    "removed": change_set.rows_removed,
                    "signers": "、".join(required_titles(change_set)),
                },
                severity=Severity.WARNING,
            )
        )
    log = LogWriter(ctx.session, ctx.account.id, ctx.version.id)
    for old in older:
        old.superseded_by_id = change_set.id if change_set else None
        log.change_set_id = old.id
        log.append("change_set", str(old.id), "supersede", detail={"by": old.superseded_by_id})
        result.findings.append(
            Finding("change-set-superseded", params={"old": old.id}, severity=Severity.WARNING)
        )
    if change_set is not None:
        log.change_set_id = change_set.id
        log.append(
            "change_set",
            str(change_set.id),
            "submit",
            detail={"content_hash": change_set.content_hash, "items": len(change_set.items)},
        )
    return result


# -- applying a signed change set ------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """An item whose base no longer matches the database: someone else changed the row first."""

    entity: str
    key: str
    field: str | None  # the Chinese header, None for the row as a whole
    expected: str | None  # what the change set was based on
    current: str | None  # what the database holds now

    @property
    def sheet(self) -> str:
        return KIND.sheet(self.entity).name

    def describe(self) -> str:
        where = f"{self.sheet} {self.key}" + (f" {self.field}" if self.field else "")
        return f"{where}：变更单基于“{self.expected or '（无）'}”，当前为“{self.current or '（无）'}”"


def _parse(column: Column, text: str | None) -> Any:
    """A change item's display text back to the column's value (``show`` is exact for master data)."""
    if text is None:
        return None
    match column.type:
        case ColType.DECIMAL:
            return Decimal(text)
        case ColType.INTEGER:
            return int(text)
        case ColType.DATE:
            return dt.date.fromisoformat(text[:10])
        case ColType.YES_NO:
            return text == "是"
    return text


def _values(sheet: Sheet, row_text: str | None) -> dict[str, Any]:
    by_header = json.loads(row_text or "{}")
    return {c.field: _parse(c, by_header.get(c.header)) for c in sheet.columns}


def _rows(session: Session, change_set: ChangeSet) -> dict[str, dict[str, Any]]:
    """Every row (live or removed) the change set may touch, by entity and key text."""
    projects = set(change_set.projects)
    plan_codes = {i.key.rsplit("/", 1)[0] for i in change_set.items if i.entity == "payment_plan_line"}
    plan_codes |= {i.key for i in change_set.items if i.entity == "payment_plan"}
    out: dict[str, dict[str, Any]] = {}
    for entity in MODELS:
        sheet = KIND.sheet(entity)
        out[entity] = {_key_text(o, sheet): o for o in _current(session, entity, projects, plan_codes)}
    return out


def _row_conflicts(sheet: Sheet, item: ChangeItem, obj: Any) -> list[Conflict]:
    if obj is None or obj.removed_at is not None:
        return [Conflict(item.entity, item.key, None, "存在", "已删除")]
    if item.op == "change":
        assert item.field is not None
        current = show(getattr(obj, item.field))
        if current != item.old:
            return [Conflict(item.entity, item.key, sheet.header(item.field), item.old, current)]
        return []
    expected = json.loads(item.old or "{}")
    return [
        Conflict(item.entity, item.key, c.header, expected.get(c.header), show(getattr(obj, c.field)))
        for c in sheet.columns
        if expected.get(c.header) != show(getattr(obj, c.field))
    ]


def conflicts(session: Session, change_set: ChangeSet) -> list[Conflict]:
    """The items whose base no longer matches the database (empty: the change set can apply)."""
    rows = _rows(session, change_set)
    found: list[Conflict] = []
    for item in change_set.items:
        sheet, obj = KIND.sheet(item.entity), rows[item.entity].get(item.key)
        if item.op == "add":
            if obj is not None and obj.removed_at is None:
                found.append(Conflict(item.entity, item.key, None, "（无）", "已存在"))
        else:
            found.extend(_row_conflicts(sheet, item, obj))
    return found


def apply_change_set(session: Session, change_set: ChangeSet, log: LogWriter) -> int:
    """Write the change set's items into the data and the work log; returns the rows written.

    The caller has checked ``conflicts`` and owns the transaction: an error leaves nothing applied.
    """
    rows = _rows(session, change_set)
    version_id, account_id = change_set.version_id, change_set.version.account_id
    stamp = now()
    touched: set[tuple[str, str]] = set()
    for entity, model in MODELS.items():
        sheet = KIND.sheet(entity)
        for item in (i for i in change_set.items if i.entity == entity):
            obj: Any = rows[entity].get(item.key)
            if item.op == "add":
                values = _values(sheet, item.new)
                if obj is not None:  # a removed row comes back
                    for name, value in values.items():
                        setattr(obj, name, value)
                    obj.removed_at = None
                    obj.version_id = version_id
                else:
                    extra = {"status": values["initial_status"]} if entity == "room" else {}
                    session.add(model(**values, **extra, version_id=version_id))
            elif item.op == "change":
                assert item.field is not None
                new = _parse(sheet.column(item.field), item.new)
                setattr(obj, item.field, new)
                if entity == "room" and item.field == "initial_status" and obj.status in MASTER_STATUSES:
                    session.add(
                        RoomStatusChange(
                            room_code=obj.code,
                            from_status=obj.status,
                            to_status=new,
                            account_id=account_id,
                            version_id=version_id,
                            cause="master_data",
                            business_date=stamp.astimezone(SHANGHAI).date(),
                        )
                    )
                    obj.status = new
                obj.version_id = version_id
            else:
                obj.removed_at = stamp
                obj.version_id = version_id
            log.append(entity, item.key, item.op, field=item.field, old=item.old, new=item.new)
            touched.add((entity, item.key))
        session.flush()
    return len(touched)
