"""Deal workbooks leave their trace in the work log too: every applied row, with its values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from schema.models import WorkLogEntry
from sync.app import Salesync
from sync.domain import worklog
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
        assert (entry.key, entry.op, entry.version_id) == ("S001", "写入", outcome.version_id)
        assert json.loads(entry.changes)["成交总价"] == "3441760"
        assert worklog.verify(session).ok
