"""A sales office that works through holidays: its project's deadlines follow its own calendar.

国庆 2026: October 1–7 off, Sunday September 20 and Saturday October 10 worked (statutory). An
office working every day is open on all of them; only the days off it declares are not working days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from schema.models import Questionnaire, Subscription, WorkbookVersion
from sync.app import Salesync
from sync.cli import main
from sync.core.errors import Refused
from sync.domain import accounts, office_calendar
from sync.domain.tasks import tasks_for
from sync.kinds.reports import get_report
from sync.reports import build_for
from tests.conftest import PASSWORD
from tests.deals import PROJECT, R1, add_staff, ingest, registered_customers, signed_project, subscription
from tests.workbooks import customer_rows, fill_template, phone

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
GOLDEN_WEEK = "2026-10-03"


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="周建国", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
    return app


def _declare(app: Salesync, every_day: bool, *days_off: str, by: str = "sz_admin") -> None:
    with app.transaction() as session:
        actor = accounts.get_account(session, by)
        office_calendar.declare(
            session,
            actor,
            PROJECT,
            every_day=every_day,
            days_off=[dt.date.fromisoformat(d) for d in days_off],
        )


def _late_deadlines(app: Salesync, tmp_path: Path, day: str, name: str) -> list[str]:
    row = subscription("S001", R1, day, 3441760, area=109.75, unit=31360)
    outcome = ingest(app, "sales_control", {"认购": [row]}, tmp_path / name / "销控.xlsx", "control")
    assert not outcome.errors, outcome.errors
    return [f.params["deadline"] for f in outcome.findings if f.code == "deal-late-entry"]


def test_a_deal_on_national_day_is_due_that_day_when_the_office_works_through_it(
    site: Salesync, tmp_path: Path
) -> None:
    _declare(site, True)
    assert _late_deadlines(site, tmp_path, GOLDEN_WEEK, "open") == ["2026-10-03 23:59"]


def test_on_the_statutory_calendar_a_deal_on_national_day_is_due_after_the_holiday(
    site: Salesync, tmp_path: Path
) -> None:
    assert _late_deadlines(site, tmp_path, GOLDEN_WEEK, "statutory") == ["2026-10-08 23:59"]


def test_a_declared_day_off_moves_the_deadline_to_the_next_open_day(site: Salesync, tmp_path: Path) -> None:
    _declare(site, True, "2026-10-03", "2026-10-04")
    assert _late_deadlines(site, tmp_path, GOLDEN_WEEK, "closed") == ["2026-10-05 23:59"]


def test_only_an_admin_of_the_projects_region_declares_it(site: Salesync) -> None:
    with pytest.raises(Refused) as refused:
        _declare(site, True, by="rep_a")
    assert refused.value.code == "calendar-not-admin"
    _declare(site, True)
    _declare(site, False)  # back to the statutory calendar
    with site.transaction() as session:
        assert office_calendar.calendar_for(session, PROJECT).every_day is False


def test_the_timeliness_report_and_the_tasks_follow_the_offices_calendar(
    site: Salesync, tmp_path: Path
) -> None:
    row = subscription("S001", R1, GOLDEN_WEEK, 3441760, area=109.75, unit=31360)
    ingest(site, "sales_control", {"认购": [row]}, tmp_path / "control" / "销控.xlsx", "control")
    rows = customer_rows(3, first_contact="2026-09-20")
    rows["成交问卷"] = [
        {"手机号码": phone(0), "认购编号": "S001", "购房目的": "自住", "填写日期": "2026-09-30"}
    ]
    site.ingest(fill_template("customers", rows, tmp_path / "rep_a" / "客户登记.xlsx"), "rep_a")
    seen = dt.datetime(2026, 10, 5, 12, 0, tzinfo=SHANGHAI)  # both entered on Monday 5 October
    with site.transaction() as session:
        versions = [
            session.scalar(select(Subscription.version_id).where(Subscription.no == "S001")),
            session.scalar(select(Questionnaire.version_id).where(Questionnaire.subscription_no == "S001")),
        ]
        session.execute(update(WorkbookVersion).where(WorkbookVersion.id.in_(versions)).values(seen_at=seen))

    def counts() -> dict[str, Any]:
        with site.transaction() as session:
            frame = build_for(
                session, get_report("timeliness"), dt.date(2026, 9, 1), dt.date(2026, 10, 31), project=PROJECT
            )
        return {
            field: int(frame[field].sum())
            for field in ("subscriptions", "subscriptions_late", "questionnaires", "questionnaires_late")
        }

    # statutory: the deal is due Oct 8, the questionnaire filled Sep 30 two working days on, Oct 9
    assert counts() == {
        "subscriptions": 1,
        "subscriptions_late": 0,
        "questionnaires": 1,
        "questionnaires_late": 0,
    }
    _declare(site, True)  # open every day: due Oct 3 and Oct 2
    assert counts() == {
        "subscriptions": 1,
        "subscriptions_late": 1,
        "questionnaires": 1,
        "questionnaires_late": 1,
    }

    with site.transaction() as session:  # a questionnaire for a deal of Oct 3 is due two open days on
        session.execute(Questionnaire.__table__.delete())
        listed = tasks_for(session, "rep_a", dt.date(2026, 10, 7))
        assert [(t.due, t.overdue_days) for t in listed.tasks if t.kind == "问卷"] == [
            (dt.date(2026, 10, 5), 2)
        ]
    _declare(site, False)
    with site.transaction() as session:
        listed = tasks_for(session, "rep_a", dt.date(2026, 10, 7))
        assert [(t.due, t.overdue_days) for t in listed.tasks if t.kind == "问卷"] == [
            (dt.date(2026, 10, 9), 0)
        ]


def test_the_calendar_on_the_command_line(site: Salesync) -> None:
    db = site.config.database_url

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--db", db, "project", "calendar", PROJECT, *args])
        return result.exit_code, result.output

    assert run() == (0, f"项目 {PROJECT}：按国家法定节假日与调休安排计算期限\n")
    code, out = run("--every-day", "--day-off", "2027-02-05", "--day-off", "2027-02-06", "--as", "sz_admin")
    assert code == 0 and "休息日：2027-02-05、2027-02-06" in out, out
    code, out = run("--statutory", "--as", "rep_a")
    assert code == 4 and "不能设置项目" in out, out
    code, out = run("--day-off", "2027-02-05")
    assert code == 2, out
