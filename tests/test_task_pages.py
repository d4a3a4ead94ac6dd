"""我的任务 a page at a time (sync.domain.task_pages) against the whole list computed as before
(sync.domain.tasks.tasks_for), on a generated region of a few thousand customers and deals: every
page of every role, the counts per kind, and the filters; and a controller's missing reconciliation
checks in ``salesync tasks``."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bench.task_region import build_region
from schema.models import Subscription
from sync.app import Salesync
from sync.cli import main
from sync.domain.task_pages import DUE, OVERDUE, TaskQuery, task_page
from sync.domain.tasks import Task, sort_key, tasks_for
from tests.deals import PROJECT
from tests.manual_reports import synced_visits

TODAY = dt.date(2026, 11, 20)
ROLES = ("rep_a", "rep_b", "manager", "control", "finance", "service")
DEAL_KINDS = {"催款", "退款", "签约", "问卷"}


@pytest.fixture
def region(app: Salesync) -> Salesync:
    with app.transaction() as session:
        build_region(session, customers=2500, deals=2500, today=TODAY, share=0.6)
    return app


def _all_pages(app: Salesync, username: str, size: int, **asked: object) -> tuple[list[Task], int]:
    shown: list[Task] = []
    offset = 0
    while True:
        with app.transaction() as session:
            page = task_page(session, username, TaskQuery(offset=offset, limit=size, **asked), TODAY)  # type: ignore[arg-type]
        shown += page.tasks
        offset += size
        if offset >= page.total:
            return shown, page.total


def test_every_page_of_every_role_is_the_whole_list_cut(region: Salesync) -> None:
    for username in ROLES:
        with region.transaction() as session:
            full = tasks_for(session, username, TODAY).tasks
            first = task_page(session, username, TaskQuery(limit=100), TODAY)
        assert first.counts == dict(Counter(t.kind for t in full)), username
        assert (first.total, first.overdue) == (len(full), sum(t.overdue for t in full)), username
        shown, total = _all_pages(region, username, 400)
        assert total == len(full) and shown == full, username
    assert full == []  # the last, the service account: none of these kinds are its
    with region.transaction() as session:
        kinds = Counter(t.kind for t in tasks_for(session, "rep_a", TODAY).tasks)
    assert {"催款", "签约", "问卷", "跟进"} <= set(kinds)  # the region gives each kind volume


def test_filters_and_the_other_direction_cut_the_same_list(region: Salesync) -> None:
    with region.transaction() as session:
        rep = tasks_for(session, "rep_a", TODAY).tasks
        finance = tasks_for(session, "finance", TODAY).tasks
        control = tasks_for(session, "control", TODAY).tasks
        project = {
            no: code for no, code in session.execute(select(Subscription.no, Subscription.project_code))
        }
    assert _all_pages(region, "rep_a", 300, state=OVERDUE)[0] == [t for t in rep if t.overdue]
    assert _all_pages(region, "rep_a", 300, state=DUE)[0] == [t for t in rep if not t.overdue]
    assert _all_pages(region, "finance", 300, kind="退款")[0] == [t for t in finance if t.kind == "退款"]
    assert _all_pages(region, "rep_a", 300, kind="跟进", state=OVERDUE)[0] == [
        t for t in rep if t.kind == "跟进" and t.overdue
    ]
    in_p2 = [t for t in control if t.kind in DEAL_KINDS and project[t.subject] == "P2"]
    assert in_p2 and _all_pages(region, "control", 300, project="P2")[0] == in_p2
    found = [t for t in rep if "客户12" in t.subject or "客户12" in t.detail]
    assert found and _all_pages(region, "rep_a", 300, q="客户12")[0] == found
    with region.transaction() as session:
        latest = task_page(session, "rep_a", TaskQuery(limit=120, descending=True), TODAY).tasks
    assert [sort_key(t) for t in latest] == sorted(map(sort_key, rep), reverse=True)[:120]


def test_the_tasks_command_lists_a_controllers_missing_checks(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    synced_visits(app, people, tmp_path, 1)  # the project exists, nothing reconciled yet
    runner = CliRunner()
    args = ["--db", app.config.database_url, "--data-dir", str(tmp_path / "data"), "tasks", "--as", "manager"]
    listing = json.loads(runner.invoke(main, [*args, "--json", "--today", "2026-11-20"]).output)
    missing = [t for t in listing["tasks"] if t["kind"] == "对账缺失"]
    assert missing and any(t["subject"].startswith(f"{PROJECT} 来电来访明细表") for t in missing)
    assert any("次每日对账" in t["detail"] for t in missing)
    shown = runner.invoke(main, [*args, "--today", "2026-11-20"])
    assert shown.exit_code == 0 and "[对账缺失]" in shown.output
    rep = json.loads(runner.invoke(main, [*args[:-1], "rep_a", "--json", "--today", "2026-11-20"]).output)
    assert not [t for t in rep["tasks"] if t["kind"] == "对账缺失"]
