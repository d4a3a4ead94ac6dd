"""The reconciliation runs list: paged, searched, filtered and sorted on the server, the filter in the URL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import select

from schema.base import now
from schema.models import Account, Project, ReconciliationItem, ReconciliationRun
from sync.app import Salesync
from tests.deals import PROJECT

Login = Callable[..., FlaskClient]
RUN_ROW = re.compile(r'<tr id="run-(\d+)">')


def _runs(app: Salesync) -> list[int]:
    """65 runs by the manager: the first 60 of 来电来访 one day each, then 5 of 销售明细 with a mismatch to explain."""
    with app.transaction() as session:
        session.add(Project(code=PROJECT, name="海湾花园", region_code="SZ", pricing_basis="建筑面积"))
        manager = session.scalars(select(Account).where(Account.username == "manager")).one()
        made = []
        start = dt.date(2026, 9, 1)
        for i in range(65):
            report = "calls_visits" if i < 60 else "sales_detail"
            day = start + dt.timedelta(days=i)
            run = ReconciliationRun(
                report_id=report,
                project_code=PROJECT,
                period_from=day,
                period_to=day,
                account_id=manager.id,
                at=now() - dt.timedelta(minutes=65 - i),
                manual_rows=1,
                system_rows=1,
                matched_rows=0 if i >= 60 else 1,
                mismatch_count=1 if i >= 60 else 0,
                totals=[],
                items=[ReconciliationItem(difference="cell", key=f"k{i}")] if i >= 60 else [],
            )
            session.add(run)
            session.flush()
            made.append(run.id)
    return made


def test_runs_page_filter_and_sort_on_the_server(app: Salesync, login: Login, people: dict[str, str]) -> None:
    made = _runs(app)
    client = login("manager")

    def ids(query: str) -> list[int]:
        response = client.get(f"/reconcile/{query}")
        assert response.status_code == 200, query
        return [int(i) for i in RUN_ROW.findall(response.get_data(as_text=True))]

    first = ids("")
    assert first == list(reversed(made))[:50]  # newest first, one page
    assert ids("?page=2") == list(reversed(made))[50:]
    assert "第 1–50 项，共 65 项" in unescape(client.get("/reconcile/").get_data(as_text=True))
    assert ids("?report=sales_detail") == list(reversed(made[60:]))
    assert ids("?open=1") == list(reversed(made[60:]))
    assert ids("?from=2026-09-03&to=2026-09-04") == [made[3], made[2]]
    assert ids("?sort=period&from=2026-09-01&to=2026-09-03") == made[:3]  # oldest period first
    assert ids("?q=销售明细") == list(reversed(made[60:]))  # a report found by its title
    assert ids("?account=nobody") == []
    page = unescape(client.get("/reconcile/?report=sales_detail&sort=period").get_data(as_text=True))
    assert "没有符合条件" not in page and 'aria-sort="ascending"' in page
