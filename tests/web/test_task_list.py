"""The portal's 我的任务 at volume: a page cut on the server, its kind, project, state, search and
direction in the URL and kept by the pager, and the kinds in English."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html import unescape
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from bench.task_region import build_region
from schema.base import SHANGHAI
from sync.app import Salesync
from sync.domain.task_pages import OVERDUE, TaskQuery, task_page

PASSWORD = "bench-only-pass"


@pytest.fixture
def region(app: Salesync) -> dt.date:
    today = dt.datetime.now(SHANGHAI).date()  # the portal's today
    with app.transaction() as session:
        build_region(session, customers=600, deals=600, today=today, password=PASSWORD)
    return today


def _subjects(page: str) -> list[str]:
    body = page[page.index('<table class="grid" id="tasks">') :]
    return re.findall(r"<tr class=\"[a-z]*\">\s*<td>[^<]*</td><td>(?:<a [^>]*>)?([^<]+)", body)


def test_the_page_is_the_services_page_with_the_filters_in_the_url(
    app: Salesync, region: dt.date, login: Callable[..., FlaskClient]
) -> None:
    rep = login("rep_a", PASSWORD)
    with app.transaction() as session:
        whole = task_page(session, "rep_a", TaskQuery(limit=50), region)
        overdue = task_page(session, "rep_a", TaskQuery(kind="催款", state=OVERDUE, limit=50), region)
        second = task_page(
            session, "rep_a", TaskQuery(kind="催款", state=OVERDUE, offset=50, limit=50), region
        )
        latest = task_page(session, "rep_a", TaskQuery(limit=50, descending=True), region)
        found = task_page(session, "rep_a", TaskQuery(q="客户1", project="P2", limit=50), region)
    assert whole.total > 100 and overdue.total > 50  # more than one page of each
    page = unescape(rep.get("/").get_data(as_text=True))
    assert _subjects(page) == [t.subject for t in whole.tasks]
    assert f"共 {whole.total} 项，其中逾期 {whole.overdue} 项" in page
    for kind, n in whole.counts.items():
        assert f">{kind} {n}</a>" in page
    page = unescape(rep.get("/?kind=催款&state=overdue").get_data(as_text=True))
    assert _subjects(page) == [t.subject for t in overdue.tasks]
    assert f'href="/?kind={quote("催款")}&state=overdue&page=2"' in page  # the pager keeps them
    page = unescape(rep.get("/?kind=催款&state=overdue&page=2").get_data(as_text=True))
    assert _subjects(page) == [t.subject for t in second.tasks]
    page = unescape(rep.get("/?overdue=1&kind=催款").get_data(as_text=True))  # the older link still works
    assert _subjects(page) == [t.subject for t in overdue.tasks]
    page = unescape(rep.get("/?sort=due&dir=desc").get_data(as_text=True))
    assert _subjects(page) == [t.subject for t in latest.tasks]
    page = unescape(rep.get("/?q=客户1&project=P2").get_data(as_text=True))
    assert found.tasks and _subjects(page) == [t.subject for t in found.tasks]
    assert '<option value="P2" selected>' in page


def test_task_kinds_read_in_english(
    app: Salesync, region: dt.date, login: Callable[..., FlaskClient]
) -> None:
    rep = login("rep_a", PASSWORD)
    page = unescape(rep.get("/?lang=en").get_data(as_text=True))
    assert "Payment due" in page and "Questionnaire" in page and "Follow-up" in page
    table = page[page.index('id="tasks"') :]
    assert not re.search(r"<td>(催款|签约|问卷|跟进)</td>", table)
    finance = login("finance", PASSWORD)
    assert "Refund owed" in unescape(finance.get("/?lang=en").get_data(as_text=True))
