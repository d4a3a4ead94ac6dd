"""我的任务 on the Chinese working-day calendar: around 国庆 2026 (1–7 October off, Saturday 10 October
worked to make up), due dates move past the holiday and overdue counts only working days."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sync.app import Salesync
from sync.cli import main
from sync.domain.tasks import tasks_for
from sync.domain.workdays import WorkCalendar
from tests.deals import R1, add_staff, ingest, receipt, registered_customers, signed_project, subscription

D = dt.date
# S001 on Tuesday 29 September 2026, plan AJ on 3,441,760.00: 定金 50,000 (day 0, paid);
# 首付款 982,528.00 on day 7 = Tuesday 6 October, a holiday → due Thursday 8 October;
# 按揭款 2,409,232.00 on day 30 = 29 October. 应签约日期 = 29 Sep + 7 days = 6 Oct → 8 Oct.
# 问卷: 2 working days after 29 Sep = 30 Sep, 8 Oct.
FIRST = Decimal("982528.00")


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    rows: dict[str, list[dict[str, Any]]] = {
        "认购": [subscription("S001", R1, "2026-09-29", 3441760, area=109.75, unit=31360)]
    }
    assert not ingest(app, "sales_control", rows, tmp_path / "control" / "销控.xlsx", "control").errors
    paid = {"收款": [receipt("R001", "S001", "定金", 50000, "2026-09-29 16:00")]}
    assert not ingest(app, "finance", paid, tmp_path / "finance" / "收款.xlsx", "finance").errors
    return app


def _deal_tasks(app: Salesync, username: str, today: dt.date) -> list[tuple[str, dt.date | None, int]]:
    with app.transaction() as session:
        listing = tasks_for(session, username, today, WorkCalendar())
    return [(t.kind, t.due, t.overdue_days) for t in listing.tasks if t.subject == "S001"]


def test_due_dates_and_overdue_counts_follow_the_holiday_calendar(site: Salesync) -> None:
    # 30 September: three working days ahead reach 10 October (8, 9, and the make-up Saturday),
    # so the instalment due on the 8th already shows; a Monday–Friday count would stop at 5 October.
    assert _deal_tasks(site, "rep_a", D(2026, 9, 30)) == [
        ("催款", D(2026, 10, 8), 0),
        ("签约", D(2026, 10, 8), 0),
        ("问卷", D(2026, 10, 8), 0),
    ]
    # during the holiday nothing is overdue yet
    assert {o for *_, o in _deal_tasks(site, "rep_a", D(2026, 10, 7))} == {0}
    # Saturday 10 October is a working day: 9 and 10 October make two working days overdue
    # (a naive weekday count from 6 October would say 3: 7, 8, 9).
    assert _deal_tasks(site, "rep_a", D(2026, 10, 10)) == [
        ("催款", D(2026, 10, 8), 2),
        ("签约", D(2026, 10, 8), 2),
        ("问卷", D(2026, 10, 8), 2),
    ]
    assert {o for *_, o in _deal_tasks(site, "rep_a", D(2026, 10, 11))} == {2}  # a Sunday adds nothing
    assert {o for *_, o in _deal_tasks(site, "rep_a", D(2026, 10, 12))} == {3}


def test_each_role_sees_its_own_tasks(site: Salesync) -> None:
    today = D(2026, 10, 10)
    with site.transaction() as session:
        finance = tasks_for(session, "finance", today, WorkCalendar())
        control = tasks_for(session, "control", today, WorkCalendar())
        rep_b = tasks_for(session, "rep_b", today, WorkCalendar())
        manager = tasks_for(session, "manager", today, WorkCalendar())
    assert [(t.kind, t.subject, t.amount, t.overdue_days) for t in finance.tasks] == [
        ("催款", "S001", FIRST, 2)
    ]
    assert finance.overdue_count == 1
    assert sorted(t.kind for t in control.tasks) == ["催款", "签约"]
    assert rep_b.tasks == []
    # rep_a's three customers have had no event since 20 September: dormant for the manager
    assert [t.kind for t in manager.tasks] == ["休眠客户"] * 2  # the buyer (phone 0) is not dormant


def test_a_special_transaction_waits_for_finance(site: Salesync, tmp_path: Path) -> None:
    rows: dict[str, list[dict[str, Any]]] = {
        "认购": [subscription("S001", R1, "2026-09-29", 3441760, area=109.75, unit=31360)],
        "特殊事务": [
            {
                "事务编号": "T001",
                "事务类型": "退房",
                "认购编号": "S001",
                "办理日期": "2026-09-30",
                "审批单号": "SP-9",
                "原因": "客户放弃",
                "退款金额": 50000,
            }
        ],
    }
    assert not ingest(site, "sales_control", rows, tmp_path / "control" / "销控.xlsx", "control").errors
    with site.transaction() as session:
        waiting = tasks_for(session, "finance", D(2026, 10, 9), WorkCalendar()).tasks
    # due the next working day after 30 September: 8 October; 9 October is one working day late
    assert [(t.kind, t.subject, t.due, t.overdue_days, t.amount) for t in waiting] == [
        ("特殊事务", "T001", D(2026, 10, 8), 1, Decimal("50000.00"))
    ]
    done = {"事务处理": [{"事务编号": "T001", "处理日期": "2026-10-09", "处理说明": "已退定金"}]}
    ingest(site, "finance", done, tmp_path / "finance" / "收款.xlsx", "finance")
    with site.transaction() as session:
        assert tasks_for(session, "finance", D(2026, 10, 9), WorkCalendar()).tasks == []


def test_tasks_command_with_an_override_file_for_an_unknown_year(site: Salesync, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--db", site.config.database_url, "--data-dir", str(tmp_path / "data"), "tasks", "--as", "rep_a"]
    shown = runner.invoke(main, [*args, "--today", "2026-10-10"])
    assert shown.exit_code == 0, shown.output
    assert "[催款] S001" in shown.output and "逾期 2 个工作日" in shown.output
    listing = json.loads(runner.invoke(main, [*args, "--json", "--today", "2026-10-10"]).output)
    # three deal tasks two working days late, and three customers unfollowed since 20 September:
    # due 25 September, which is 中秋 (25–27 September off), so 28 September; late by 29–30
    # September and 8–10 October: five working days
    assert sorted((t["kind"], t["overdue_days"]) for t in listing["tasks"]) == [
        ("催款", 2),
        ("签约", 2),
        ("跟进", 5),
        ("跟进", 5),
        ("跟进", 5),
        ("问卷", 2),
    ]
    assert listing["overdue"] == 6 and listing["calendar_fallback_years"] == []

    # a year chinese_calendar does not know: a clear warning, then the override file settles it
    far = [*args[:-1], "rep_b", "--json", "--today", "2031-01-06"]
    warned = runner.invoke(main, far)
    assert warned.exit_code == 0 and "2031 年的法定节假日与调休安排未知" in warned.stderr
    assert json.loads(warned.stdout)["calendar_fallback_years"] == [2031]
    override = tmp_path / "holidays.toml"
    override.write_text("holidays = [2031-01-01, 2031-01-02]\nworkdays = [2031-01-05]\n", encoding="utf-8")
    covered = runner.invoke(main, [*far, "--holidays", str(override)])
    assert covered.exit_code == 0 and "未知" not in covered.stderr
    assert json.loads(covered.stdout)["calendar_fallback_years"] == []


def test_a_project_limited_account_sees_its_projects_tasks_only(site: Salesync) -> None:
    from sync.domain import accounts
    from tests.conftest import PASSWORD
    from tests.deals import PROJECT

    with site.transaction() as session:
        for username, project in [("fin_here", PROJECT), ("fin_other", "SZ-ZZ99")]:
            accounts.add_user(
                session,
                username,
                name=username,
                roles=["finance"],
                password=PASSWORD,
                region="SZ",
                projects=[project],
            )
    today = D(2026, 10, 10)
    with site.transaction() as session:
        here = tasks_for(session, "fin_here", today, WorkCalendar()).tasks
        other = tasks_for(session, "fin_other", today, WorkCalendar()).tasks
    assert [(t.kind, t.subject) for t in here] == [("催款", "S001")]
    assert other == []
