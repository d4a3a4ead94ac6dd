"""Customer workbooks leave their trace in the tamper-evident work log: each sheet's new rows sealed
by digest, and every changed field with its old and new value."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from schema.models import WorkLogEntry
from sync.app import Salesync
from sync.domain import worklog
from tests.workbooks import customer_rows, edit, fill_template, phone


def entries(app: Salesync, entity: str) -> list[WorkLogEntry]:
    with app.transaction() as session:
        stmt = select(WorkLogEntry).where(WorkLogEntry.entity == entity).order_by(WorkLogEntry.seq)
        return list(session.scalars(stmt))


def test_new_rows_and_changed_fields_are_logged_and_the_chain_verifies(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(4)
    path = fill_template("customers", rows, tmp_path / "客户登记.xlsx")
    first = app.ingest(path, "rep_a")

    (added,) = entries(app, "customer")  # new rows are sealed together by digest, not by value
    assert added.op == "新增" and added.version_id == first.version_id
    detail = json.loads(added.changes)
    assert detail["count"] == 4 and detail["key"] == ["phone"] and len(detail["digest"]) == 64
    assert rows["客户"][0]["客户姓名"] not in added.changes
    assert added.key == f"{phone(0)} … {phone(3)}（4 行）"
    (events,) = entries(app, "customer_event")
    assert json.loads(events.changes)["count"] == 4

    edit(path, "客户", 3, "备注", "想要南向")  # Excel row 3: the second customer
    second = app.ingest(path, "rep_a")
    changed = [e for e in entries(app, "customer") if e.op == "修改"]
    assert [(e.key, e.field, e.old, e.new, e.version_id) for e in changed] == [
        (phone(1), "备注", None, "想要南向", second.version_id)
    ]
    with app.transaction() as session:
        report = worklog.verify(session)
    assert report.ok, report.message()
