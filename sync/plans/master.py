"""Master-data plan: a project_master workbook becomes a change set — the exact diff against the data.

Rows are compared by their keys within the projects the workbook covers; a row missing from the
workbook is a removal (kept, with ``removed_at``), never an erasure. Ingest only records the change
set, pending (待签); a newer accepted version of the same workbook supersedes its pending ones.
``sync.domain.signing`` applies a change set once its signatures suffice, from its items — exactly what
was signed — after checking that each item's old value is still what the database holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from schema.models import (
    ChangeItem,
    ChangeSet,
    WorkbookVersion,
)
from schema.models.audit import PENDING, SUPERSEDED
from schema.spec import Sheet
from sync.core.rows import INSERT_CHUNK, BulkInsert, canon, column_values, records, show
from sync.domain import guard
from sync.domain.changesets import (
    MODELS,
    Item,
    content_hash_of,
    current_rows,
    key_text,
    required_titles,
    row_key,
    row_text,
)
from sync.domain.worklog import LogWriter
from sync.kinds.project_master import KIND
from sync.plans.context import PLANS, IngestContext, PlanResult
from sync.plans.master_rows import row_texts, shown
from validators.findings import Finding, Severity


@dataclass
class EntityDiff:
    sheet: Sheet
    added: list[tuple[int, tuple[Any, ...], int]] = field(default_factory=list)  # row, key, position
    changed: list[tuple[int, Any, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)
    current_count: int = 0
    texts: dict[str, list[str | None]] = field(default_factory=dict)  # the incoming rows' display texts


def _covered_projects(ctx: IngestContext) -> set[str]:
    codes: set[str] = set()
    for entity, prepared in ctx.book.items():
        frame = prepared.frame
        column = "code" if entity == "project" else "project_code"
        if column in frame and not frame.empty:
            codes |= set(column_values(frame[column])) - {None}
    return codes


def _base_rows(ctx: IngestContext, sheet: Sheet) -> dict[tuple[Any, ...], dict[str, Any]] | None:
    if ctx.base is None:
        return None
    prepared = ctx.base.get(sheet.entity)
    if prepared is None or prepared.frame.empty:
        return {}
    return {row_key(r, sheet.key): r for r in records(prepared.frame, sheet.fields)}


def _diff(
    ctx: IngestContext, sheet: Sheet, projects: set[str], plan_codes: set[str], result: PlanResult
) -> EntityDiff:
    """The sheet against the database, keys looked up once: rows equal as the signer reads them
    (every field's display text) are passed over; only the others are compared field by field."""
    diff = EntityDiff(sheet)
    prepared = ctx.book.get(sheet.entity)
    frame = prepared.frame if prepared is not None and not prepared.frame.empty else None
    columns = {f: column_values(frame[f]) if frame is not None else [] for f in sheet.fields}
    rows = [int(r) for r in frame.index] if frame is not None else []
    keys = list(zip(*(columns[f] for f in sheet.key), strict=True))
    diff.texts = {f: shown(columns[f]) for f in sheet.fields}
    current = {
        row_key(obj, sheet.key): obj for obj in current_rows(ctx.session, sheet.entity, projects, plan_codes)
    }
    live = {k: o for k, o in current.items() if o.removed_at is None}
    diff.current_count = len(live)
    held = list(live.values())
    held_texts = dict(
        zip(
            live,
            zip(*(shown([getattr(o, f) for o in held]) for f in sheet.fields), strict=True),
            strict=True,
        )
    )
    incoming_texts = list(zip(*(diff.texts[f] for f in sheet.fields), strict=True))
    base = _base_rows(ctx, sheet)
    seen = set()
    for position, (row, key) in enumerate(zip(rows, keys, strict=True)):
        seen.add(key)
        obj = live.get(key)
        if obj is None:
            diff.added.append((row, key, position))
            continue
        if incoming_texts[position] == held_texts[key]:
            continue  # every field reads the same: nothing changed
        rec = {f: columns[f][position] for f in sheet.fields}
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
                                "latest": ctx.changed_in(getattr(obj, "version_id", None)),
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


def _items(diffs: list[EntityDiff]) -> list[Item]:
    """The change set's items: a row added, a field changed (old → new), a row removed."""
    items: list[Item] = []
    for diff in diffs:
        sheet = diff.sheet
        if diff.added:
            picked = [position for _row, _key, position in diff.added]
            texts = row_texts(sheet, {f: [diff.texts[f][p] for p in picked] for f in sheet.fields})
            items.extend(
                Item(sheet.entity, "/".join(map(str, key)), "add", None, None, text, sheet.name, row)
                for (row, key, _position), text in zip(diff.added, texts, strict=True)
            )  # the key as key_text writes it
        for row, obj, changes in diff.changed:
            key = key_text(obj, sheet)
            items.extend(
                Item(sheet.entity, key, "change", name, show(old), show(new), sheet.name, row)
                for name, (old, new) in changes.items()
            )
        for obj in diff.removed:
            values = {f: getattr(obj, f) for f in sheet.fields}
            items.append(
                Item(
                    sheet.entity,
                    key_text(obj, sheet),
                    "remove",
                    None,
                    row_text(sheet, values),
                    None,
                    sheet.name,
                    None,
                )
            )
    return items


ITEM_KEYS = ["change_set_id", "entity", "key", "op", "field", "old", "new", "sheet", "row"]


def _store_items(ctx: IngestContext, change_set: ChangeSet, items: list[Item]) -> None:
    """The items in bulk, in their order (their ids keep it: the order the content hash covers)."""
    bulk = BulkInsert(ctx.session, ChangeItem.__table__, ITEM_KEYS)
    for start in range(0, len(items), INSERT_CHUNK):
        part = items[start : start + INSERT_CHUNK]
        columns: dict[str, list[Any]] = {"change_set_id": [change_set.id] * len(part)}
        for n, name in enumerate(Item._fields):
            columns[name] = [i[n] for i in part]
        bulk.execute(columns)
    ctx.session.expire(change_set, ["items"])


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


@PLANS.register("change_set")
def apply_master_data(ctx: IngestContext) -> PlanResult:
    """Diff the workbook against the data and record the result as a pending change set."""
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
    items = _items(diffs)
    refused = guard.orphans(ctx.session, items)
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
        change_set.content_hash = content_hash_of(
            change_set.kind, change_set.project_codes, change_set.is_initial, (i.hashed() for i in items)
        )
        ctx.session.add(change_set)
        ctx.session.flush()
        _store_items(ctx, change_set, items)
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
            detail={"content_hash": change_set.content_hash, "items": len(items)},
        )
    return result


# -- applying a signed change set ------------------------------------------------------------------
