"""The work log of a set-based deal plan held to the row-by-row reference's.

The reference logs every applied row with its values (op 写入); the set-based plans seal a version's
new rows by digest instead (one entry per table and version, ``sealed_rows`` beside it) and log the
sealed columns an existing row changes old → new (op 修改). So the two logs are compared thus: every
row a set-based seal vouches for must match exactly one reference 写入 entry of the same sheet,
version and key; those reference entries, the deal seals and the deal 修改 entries left out, the rest
of the two logs (changed rows, other kinds, signatures) must be equal; and the deep check must hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from schema.base import Base
from sync.domain import sealed_audit, worklog

DEAL_ENTITIES = {
    "room_control",
    "subscription",
    "contract",
    "special_transaction",
    "receipt",
    "area_true_up",
    "move_in",
}


MASTER_ENTITIES = {"project", "building", "room", "payment_plan", "payment_plan_line", "discount"}


def sealed_keys(
    session: Session, entities: Collection[str] = DEAL_ENTITIES, sep: str = " / "
) -> Counter[tuple[str, int | None, str]]:
    """(sheet, version, key as the row-by-row log writes it, its parts joined by ``sep``) of every
    row of ``entities`` a seal vouches for."""
    out: Counter[tuple[str, int | None, str]] = Counter()
    for entry, detail in sealed_audit.sealed_entries(session):
        if entry.entity not in entities:
            continue
        table = Base.metadata.tables[detail["table"]]
        where = or_(*(and_(table.c.id >= a, table.c.id <= b) for a, b in detail["ids"]))
        for row in session.execute(select(*(table.c[c] for c in detail["log_key"])).where(where)):
            out[(entry.entity, entry.version_id, sep.join(str(v) for v in row))] += 1
    return out


def compare(
    got: Sequence[Mapping[str, Any]],
    want: Sequence[Mapping[str, Any]],
    sealed: Counter[tuple[str, int | None, str]],
    ignore: Sequence[str] = ("seq",),
    row_op: str = "写入",
    entities: Collection[str] = DEAL_ENTITIES,
    versions: Collection[int | None] | None = (),
) -> None:
    """Assert the set-based log ``got`` is the reference's ``want`` with its new deal rows sealed."""
    if versions == ():  # the log compared may be one kind's versions only (None: every version)
        versions = {e["version_id"] for e in got}
    left = Counter({mark: n for mark, n in sealed.items() if versions is None or mark[1] in versions})
    kept_want = []
    for entry in want:
        mark = (entry["entity"], entry["version_id"], entry["key"])
        if entry["op"] == row_op and left[mark] > 0:
            left[mark] -= 1
            continue
        kept_want.append(entry)
    assert not +left, f"sealed rows the reference never logged: {list((+left).elements())[:5]}"
    kept_got = [
        e
        for e in got
        if not (e["entity"] in DEAL_ENTITIES and e["op"] in (worklog.SEALED, sealed_audit.CHANGED))
    ]
    got_rest = [{k: v for k, v in e.items() if k not in ignore} for e in kept_got]
    want_rest = [{k: v for k, v in e.items() if k not in ignore} for e in kept_want]
    first = next((i for i, (a, b) in enumerate(zip(got_rest, want_rest, strict=False)) if a != b), None)
    assert first is None and len(got_rest) == len(want_rest), (
        len(got_rest),
        len(want_rest),
        first is not None and (got_rest[first], want_rest[first]),
    )
