"""Customer workbooks leave their trace in the tamper-evident work log: every new row, and every
changed field with its old and new value."""

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

    (added,) = entries(app, "customer")  # new rows are recorded together, each with its values
    assert added.op == "新增" and added.version_id == first.version_id
    detail = json.loads(added.changes)
    assert [key for key, _ in detail["rows"]] == [phone(i) for i in range(4)]
    name = detail["columns"].index("客户姓名")
    assert detail["rows"][0][1].split("\t")[name] == rows["客户"][0]["客户姓名"]
    (events,) = entries(app, "customer_event")
    assert len(json.loads(events.changes)["rows"]) == 4

    edit(path, "客户", 3, "备注", "想要南向")  # Excel row 3: the second customer
    second = app.ingest(path, "rep_a")
    changed = [e for e in entries(app, "customer") if e.op == "修改"]
    assert [(e.key, e.field, e.old, e.new, e.version_id) for e in changed] == [
        (phone(1), "备注", None, "想要南向", second.version_id)
    ]
    with app.transaction() as session:
        report = worklog.verify(session)
    assert report.ok, report.message()
