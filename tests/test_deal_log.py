"""Deal workbooks leave their trace in the work log too: new rows sealed by digest (one entry per
table and version), the rows the deep check reads back; changed rows as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from schema.models import WorkLogEntry
from sync.app import Salesync
from sync.domain import sealed_audit, worklog
from sync.pipeline import kept_rows
from sync.pipeline.outcome import Verdict
from tests.deals import R1, add_staff, ingest, registered_customers, signed_project, subscription


def test_applied_deal_rows_are_logged_and_the_chain_verifies(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    sc: dict[str, list[dict[str, Any]]] = {
        "房间控制": [],
        "认购": [subscription("S001", R1, "2026-11-03", 3441760, area=109.75, unit=31360, customer=1)],
        "签约": [],
        "特殊事务": [],
    }
    outcome = ingest(app, "sales_control", sc, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    with app.transaction() as session:
        (entry,) = session.scalars(select(WorkLogEntry).where(WorkLogEntry.entity == "subscription"))
        assert (entry.key, entry.op, entry.version_id) == ("S001 … S001（1 行）", "新增", outcome.version_id)
        detail = json.loads(entry.changes)
        assert (detail["count"], detail["key"], detail["log_key"]) == (1, ["no"], ["no"])
        assert "成交总价" in detail["headers"]  # the new row's values are sealed by digest, not repeated
        assert worklog.verify(session).ok
        report = sealed_audit.verify(session, kept_rows.applied_row)
        assert report.ok, report.message("en")  # the customers' seals and the subscription's
