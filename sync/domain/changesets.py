"""Change sets (签字确认): what a signer approves and how an approved change set reaches the data.

A ``project_master`` workbook becomes a change set in its plan (:mod:`sync.plans.master`); the
signing service (:mod:`sync.domain.signing`) decides when it applies. Both rest on this module: who
must sign, the content hash a signature binds to, the conflicts that make an approved change set
stale, and the application of its items — exactly what was signed — to the master data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
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
from schema.roles import Role
from schema.spec import ColType, Column, Sheet
from sync.core.rows import show
from sync.domain.accounts import SIGNING_ROLES
from sync.domain.worklog import LogWriter
from sync.kinds.project_master import KIND

MODELS: dict[str, Any] = {
    "project": Project,
    "building": Building,
    "room": Room,
    "payment_plan": PaymentPlan,
    "payment_plan_line": PaymentPlanLine,
    "discount": Discount,
}
MASTER_STATUSES = ("待售", "可售", "不可售")


@dataclass(frozen=True)
class Requirement:
    """One signature a change set needs: by someone holding one of ``roles``."""

    roles: frozenset[Role]
    title: str


INITIAL = (
    Requirement(frozenset({Role.REGION_GM}), Role.REGION_GM.title_zh),
    Requirement(frozenset({Role.SENIOR_MANAGER}), Role.SENIOR_MANAGER.title_zh),
)
LATER = (Requirement(SIGNING_ROLES, f"{Role.SENIOR_MANAGER.title_zh}或以上"),)


def requirements(change_set: ChangeSet) -> tuple[Requirement, ...]:
    """A project's initial data: the region's GM and a senior manager; later changes: one senior or above."""
    return INITIAL if change_set.is_initial else LATER


def required_titles(change_set: ChangeSet) -> list[str]:
    return [r.title for r in requirements(change_set)]


def row_key(obj_or_rec: Any, key: tuple[str, ...]) -> tuple[Any, ...]:
    get = obj_or_rec.get if isinstance(obj_or_rec, dict) else lambda f: getattr(obj_or_rec, f)
    return tuple(get(f) for f in key)


def row_text(sheet: Sheet, values: dict[str, Any]) -> str:
    return json.dumps({sheet.header(f): show(values.get(f)) for f in sheet.fields}, ensure_ascii=False)


def key_text(values: Any, sheet: Sheet) -> str:
    return "/".join(str(v) for v in row_key(values, sheet.key))


def current_rows(session: Session, entity: str, projects: set[str], plan_codes: set[str]) -> list[Any]:
    model = MODELS[entity]
    if entity == "project":
        stmt = select(model).where(model.code.in_(projects))
    elif entity == "payment_plan_line":
        scoped = select(PaymentPlan.code).where(PaymentPlan.project_code.in_(projects))
        stmt = select(model).where(or_(model.plan_code.in_(scoped), model.plan_code.in_(plan_codes)))
    else:
        stmt = select(model).where(model.project_code.in_(projects))
    return list(session.scalars(stmt))


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
        out[entity] = {key_text(o, sheet): o for o in current_rows(session, entity, projects, plan_codes)}
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
