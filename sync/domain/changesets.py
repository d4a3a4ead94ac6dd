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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

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
    """Every row (live or removed) of ``entity`` in the projects (payment plan lines also by plan
    code), as plain rows with the model's attribute names: no object per row of a big project."""
    model = MODELS[entity]
    table = model.__table__
    if entity == "project":
        where = table.c.code.in_(sorted(projects))
    elif entity == "payment_plan_line":
        scoped = select(PaymentPlan.code).where(PaymentPlan.project_code.in_(sorted(projects)))
        where = or_(table.c.plan_code.in_(scoped), table.c.plan_code.in_(sorted(plan_codes)))
    else:
        where = table.c.project_code.in_(sorted(projects))
    session.flush()  # a plain select does not flush the session's pending rows on its own
    return list(session.execute(select(table).where(where)))


class Item(NamedTuple):
    """One change item as plain values: what ``ChangeItem`` holds, without an object per item (a
    project's initial load has one item per room)."""

    entity: str
    key: str
    op: str
    field: str | None
    old: str | None
    new: str | None
    sheet: str | None
    row: int | None

    def hashed(self) -> tuple[str, str, str, str | None, str | None, str | None]:
        """The parts of the item the content hash covers."""
        return (self.entity, self.key, self.op, self.field, self.old, self.new)


def item_rows(session: Session, change_set: ChangeSet) -> list[Item]:
    """The stored change set's items in their order, read as plain rows."""
    c = ChangeItem
    stmt = (
        select(c.entity, c.key, c.op, c.field, c.old, c.new, c.sheet, c.row)
        .where(c.change_set_id == change_set.id)
        .order_by(c.id)
    )
    return [Item(*r) for r in session.execute(stmt)]


def content_hash(change_set: ChangeSet) -> str:
    """SHA-256 of what a signer approves: the projects, whether initial, and every item in order."""
    return content_hash_of(
        change_set.kind,
        change_set.project_codes,
        bool(change_set.is_initial),
        ((i.entity, i.key, i.op, i.field, i.old, i.new) for i in change_set.items),
    )


def content_hash_of(
    kind: str, project_codes: str, is_initial: bool, items: Iterable[Sequence[str | None]]
) -> str:
    """:func:`content_hash` of a change set given by its parts, the items as (entity, key, op,
    field, old, new): a big change set is hashed without an object per item."""
    body = [kind, project_codes, bool(is_initial), [list(i) for i in items]]
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


def _rows(
    session: Session,
    change_set: ChangeSet,
    *,
    objects: bool = False,
    items: Sequence[ChangeItem] | Sequence[Item] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every row (live or removed) the change set may touch, by entity and key text (as plain rows,
    or as ORM objects for the row-by-row apply)."""
    projects = set(change_set.projects)
    listed = change_set.items if items is None else items
    plan_codes = {i.key.rsplit("/", 1)[0] for i in listed if i.entity == "payment_plan_line"}
    plan_codes |= {i.key for i in listed if i.entity == "payment_plan"}
    out: dict[str, dict[str, Any]] = {}
    for entity in MODELS:
        sheet, model = KIND.sheet(entity), MODELS[entity]
        found = current_rows(session, entity, projects, plan_codes)
        if objects:  # the same rows, as the ORM's objects (a plain row cannot be assigned to)
            found = list(session.scalars(select(model).where(model.id.in_([r.id for r in found]))))
        out[entity] = {key_text(o, sheet): o for o in found}
    return out


def _row_conflicts(sheet: Sheet, item: ChangeItem | Item, obj: Any) -> list[Conflict]:
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


def conflicts(
    session: Session, change_set: ChangeSet, items: Sequence[ChangeItem] | Sequence[Item] | None = None
) -> list[Conflict]:
    """The items whose base no longer matches the database (empty: the change set can apply);
    ``items``: the change set's items already read (:func:`item_rows`)."""
    listed = change_set.items if items is None else items
    rows = _rows(session, change_set, items=listed)
    found: list[Conflict] = []
    for item in listed:
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
    This is the row-by-row reference: signing applies with :func:`sync.domain.changeset_apply.
    apply_in_bulk`, which ``tests/test_changeset_apply.py`` holds equal to it, row for row.
    """
    rows = _rows(session, change_set, objects=True)
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
