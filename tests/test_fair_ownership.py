"""Fair ownership statistics: a reassignment keeps who entered the customer first and when, charges
nobody a late entry, a new customer or a collision; dormancy counts only the owner's events; a
首次接触日期 in the future, or changed after acceptance, is a warning with the accepted date kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from schema.base import SHANGHAI
from schema.models import Collision, Customer, Project, WorkbookVersion
from sync.app import Salesync
from sync.domain import ownership
from sync.pipeline.outcome import Verdict
from sync.reports import Scope, build, build_for
from tests.deals import ingest
from tests.workbooks import customer_rows, phone

QUIET = dt.date(2026, 10, 10)  # 20 days after rep_a's customers were last heard of


def test_a_reassigned_customer_is_nobodys_late_entry_new_customer_or_collision(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    book = tmp_path / "rep_a" / "客户登记.xlsx"
    rows = customer_rows(3, first_contact="2026-09-20")
    assert ingest(app, "customers", rows, book, "rep_a").verdict is Verdict.ACCEPTED
    # rep_b enters customer 0 again on 5 October: a collision, and rep_b's visit is not the owner's
    other = customer_rows(1, first_contact="2026-10-05")
    outcome = ingest(app, "customers", other, tmp_path / "rep_b" / "客户登记.xlsx", "rep_b")
    assert [f.code for f in outcome.findings if f.code == "collision"] == ["collision"]
    with app.transaction() as session:
        session.add(Project(code="SZ-X01", name="海湾一期", region_code="SZ", pricing_basis="建筑面积"))
        region = ownership.manager(session, "manager").region_id
        dormant = [i.customer.phone for i in ownership.dormant_customers(session, region, QUIET)]
        assert dormant == [phone(0), phone(1), phone(2)]  # rep_b's 5 October visit does not count
        ownership.reassign_customer(session, phone(2), "manager", "rep_b", "张丽离职交接", today=QUIET)

    today = dt.datetime.now(SHANGHAI).date()
    scope = Scope("SZ-X01", dt.date(2026, 9, 1), today)
    with app.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.phone == phone(2))).one()
        first = session.get(WorkbookVersion, customer.first_version_id)
        assert first is not None and first.account.username == "rep_a"  # first entry facts intact
        assert customer.owner.username == "rep_b"
        timeliness = build(session, "timeliness", scope).set_index("username")
        workload = build(session, "workload", scope).set_index("username")
    assert timeliness.loc["rep_a", "customers"] == 3
    assert "rep_b" not in timeliness.index or timeliness.loc["rep_b", "customers"] == 0
    assert workload.loc["rep_b", "new_customers"] == 0 and workload.loc["rep_a", "new_customers"] == 3

    # rep_a saves again: the reassigned customer is reported as reassigned, not as a collision; a
    # changed 首次接触日期 keeps the accepted one; a future one is a warning
    rows["客户"][2]["备注"] = "已交接"
    rows["客户"][0]["首次接触日期"] = "2026-09-21"
    later = customer_rows(1, start=5, first_contact=(today + dt.timedelta(days=3)).isoformat())
    rows["客户"].append(later["客户"][0])
    rows["客户事件"].append(later["客户事件"][0])
    outcome = ingest(app, "customers", rows, book, "rep_a")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    codes = sorted((f.row, f.header, f.code) for f in outcome.findings if f.code != "late-entry")
    assert codes == [
        (2, "首次接触日期", "first-contact-changed"),
        (4, "手机号码", "customer-reassigned"),
        (5, "首次接触日期", "date-in-future"),  # the rule for every implausible date
    ]
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Collision)) == 1  # rep_b's only
        kept = session.scalars(select(Customer).where(Customer.phone == phone(0))).one()
        assert kept.first_contact_date == dt.date(2026, 9, 20)


def test_a_visit_counts_once_in_the_project_its_customer_was_registered_for(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(3, first_contact="2026-09-20")
    rows["客户"][0]["意向项目"] = "海湾二期"  # by name
    rows["客户"][1]["意向项目"] = "SZ-X01"  # by code
    assert (
        ingest(app, "customers", rows, tmp_path / "rep_a" / "客户登记.xlsx", "rep_a").verdict
        is Verdict.ACCEPTED
    )
    with app.transaction() as session:
        session.add(Project(code="SZ-X01", name="海湾一期", region_code="SZ", pricing_basis="建筑面积"))
        session.add(Project(code="SZ-X02", name="海湾二期", region_code="SZ", pricing_basis="建筑面积"))
    day = dt.date(2026, 9, 20)
    with app.transaction() as session:
        one = build(session, "calls_visits", Scope("SZ-X01", day, day))
        two = build(session, "calls_visits", Scope("SZ-X02", day, day))
        region = build_for(session, "calls_visits", day, day, region="SZ")
        today = dt.datetime.now(SHANGHAI).date()  # new customers count from when they were entered
        work = build_for(session, "workload", day, today, region="SZ")
    # customer 2 names no project: its region-wide rep's visit belongs to the region's first project
    assert sorted(one["customer_phone"]) == [phone(1), phone(2)]
    assert list(two["customer_phone"]) == [phone(0)]
    assert sorted(region["customer_phone"]) == [phone(0), phone(1), phone(2)]  # each visit once
    assert work[work["username"] == "rep_a"]["visits"].sum() == 3
    assert work[work["username"] == "rep_a"]["new_customers"].sum() == 3
