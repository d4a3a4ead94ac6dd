"""Ownership by first entry (撞单): the first accepted version wins, later entries become collisions."""

from __future__ import annotations

from pathlib import Path

import fastexcel
from sqlalchemy import func, select

from schema.models import Account, Collision, Customer, VersionFinding
from sync.app import Salesync
from sync.pipeline.feedback import result_path
from sync.pipeline.outcome import Verdict
from tests.workbooks import customer_rows, fill_template

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
FORMATS = [
    lambda p: f"+86 {p}",
    lambda p: f"{p[:3]} {p[3:7]} {p[7:]}",
    lambda p: p.translate(FULL_WIDTH),
]


def test_first_entry_owns_and_later_reps_collide(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    a = app.ingest(fill_template("customers", customer_rows(200), tmp_path / "a" / "客户登记.xlsx"), "rep_a")
    assert a.verdict is Verdict.ACCEPTED, a.findings

    shared = customer_rows(15, start=100)
    for i, row in enumerate(shared["客户"]):
        row["手机号码"] = FORMATS[i % 3](row["手机号码"])
    for i, row in enumerate(shared["客户事件"]):
        row["手机号码"] = FORMATS[i % 3](row["手机号码"])
    own = customer_rows(5, start=5000)
    rows = {k: shared[k] + own[k] for k in shared}
    b_path = fill_template("customers", rows, tmp_path / "b" / "客户登记.xlsx")
    b = app.ingest(b_path, "rep_b")

    assert b.verdict is Verdict.ACCEPTED
    assert len(b.collisions) == 15
    assert {f.params["owner"] for f in b.collisions} == {"rep_a"}
    assert all("张丽" in f.message() for f in b.collisions)
    with app.transaction() as session:
        rep_a = session.scalar(select(Account).where(Account.username == "rep_a"))
        rep_b = session.scalar(select(Account).where(Account.username == "rep_b"))
        assert rep_a is not None and rep_b is not None
        owned_by_a = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.owner_id == rep_a.id)
        )
        assert owned_by_a == 200
        collisions = session.scalars(select(Collision).where(Collision.account_id == rep_b.id)).all()
        assert len(collisions) == 15
        assert {c.owner_id for c in collisions} == {rep_a.id}
        assert (
            session.scalar(select(func.count()).select_from(Customer).where(Customer.owner_id == rep_b.id))
            == 5
        )

    feedback = fastexcel.read_excel(result_path(b_path)).load_sheet("撞单").to_pandas()
    assert len(feedback) == 15
    assert feedback["归属人"].str.contains("张丽").all()


def test_repeat_entry_by_the_same_rival_records_one_collision(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    app.ingest(fill_template("customers", customer_rows(3), tmp_path / "a.xlsx"), "rep_a")
    path = fill_template("customers", customer_rows(3), tmp_path / "b.xlsx")
    first = app.ingest(path, "rep_b")
    rows = customer_rows(3)
    rows["客户"][0]["备注"] = "再次来访"
    second = app.ingest(fill_template("customers", rows, tmp_path / "b2.xlsx"), "rep_b")
    assert len(first.collisions) == len(second.collisions) == 3
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Collision)) == 3


def test_owner_is_judged_by_time_seen_not_typed_date(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    late = customer_rows(1)
    late["客户"][0]["首次接触日期"] = "2026-11-25"
    early = customer_rows(1)
    early["客户"][0]["首次接触日期"] = "2026-01-01"
    app.ingest(fill_template("customers", late, tmp_path / "a.xlsx"), "rep_a")
    b = app.ingest(fill_template("customers", early, tmp_path / "b.xlsx"), "rep_b")
    assert [f.params["owner"] for f in b.collisions] == ["rep_a"]


def test_new_customer_without_first_event_is_rejected(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(3)
    rows["客户事件"] = rows["客户事件"][1:]
    outcome = app.ingest(fill_template("customers", rows, tmp_path / "a.xlsx"), "rep_a")
    assert outcome.verdict is Verdict.PARTIAL
    assert [f.flat() for f in outcome.errors] == [(2, "手机号码", "customer-needs-event")]


def test_late_entries_are_recorded_not_refused(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    """Due by the end of the next working day after first contact, on the Chinese calendar."""
    rows = customer_rows(
        2, first_contact="2026-09-30"
    )  # next working day after 国庆 is 10-08 (10-01..07 off)
    outcome = app.ingest(fill_template("customers", rows, tmp_path / "a.xlsx"), "rep_a")
    assert outcome.verdict is Verdict.ACCEPTED
    late = [f for f in outcome.findings if f.code == "late-entry"]
    assert [(f.row, f.value, f.params["deadline"]) for f in late] == [
        (2, "2026-09-30", "2026-10-08 23:59"),
        (3, "2026-09-30", "2026-10-08 23:59"),
    ]
    assert "2026-10-08" in late[0].message()
    assert [len(run) for run in outcome.findings.runs] == [2]  # held as columns, not objects
    with app.transaction() as session:
        stored = session.execute(
            select(VersionFinding.row, VersionFinding.value, VersionFinding.message)
            .where(VersionFinding.version_id == outcome.version_id, VersionFinding.code == "late-entry")
            .order_by(VersionFinding.row)
        ).all()
    assert [tuple(r) for r in stored] == [(f.row, f.value, f.message()) for f in late]


def test_a_rep_of_another_region_learns_only_that_the_customer_is_registered(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    """The owner's name, username and first-entry time stay in the owner's region: the other region's
    rep hears only that the customer is registered (their managers see the collision in full)."""
    from openpyxl import load_workbook

    from sync.domain import accounts, ownership
    from tests.conftest import PASSWORD

    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
        accounts.add_user(session, "gz_rep", name="孙悦", roles=["sales_rep"], password=PASSWORD, region="GZ")
        accounts.add_user(
            session, "gz_manager", name="周航", roles=["sales_manager"], password=PASSWORD, region="GZ"
        )
    app.ingest(fill_template("customers", customer_rows(3), tmp_path / "a" / "客户登记.xlsx"), "rep_a")
    path = fill_template("customers", customer_rows(2), tmp_path / "gz" / "客户登记.xlsx")
    outcome = app.ingest(path, "gz_rep")

    assert len(outcome.collisions) == 2
    assert {f.code for f in outcome.collisions} == {"collision-elsewhere"}
    for f in outcome.collisions:
        words = f.message("zh") + f.message("en")
        assert "已在系统中登记" in words and "张丽" not in words and "rep_a" not in words
        assert f.params == {}
    text = " ".join(
        str(c.value)
        for ws in load_workbook(result_path(path)).worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    )
    assert "已在系统中登记" in text and "张丽" not in text and "rep_a" not in text
    with app.transaction() as session:
        stored = session.scalars(
            select(VersionFinding.message).where(VersionFinding.code == "collision-elsewhere")
        )
        assert all("张丽" not in m for m in stored)
        manager = accounts.get_account(session, "gz_manager")
        found = ownership.open_collisions(session, manager)  # the rep's manager sees them in full
        assert len(found) == 2 and {c.owner.username for c in found} == {"rep_a"}
