"""Customer ownership after first entry: the sales manager settles collisions (撞单) and reassigns
dormant customers, on real workbooks ingested by two reps, with every change in the work log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from schema.base import SHANGHAI
from schema.models import Account, Collision, Customer, Project, Reassignment, WorkLogEntry
from sync.app import Salesync
from sync.cli import main
from sync.core.errors import OwnershipRefused
from sync.domain import accounts, ownership, worklog
from sync.domain.tasks import tasks_for
from sync.domain.workdays import WorkCalendar
from sync.pipeline.outcome import Verdict
from sync.reports import Scope, build
from tests.conftest import PASSWORD
from tests.deals import R1, add_staff, ingest, registered_customers, signed_project, subscription
from tests.workbooks import customer_rows, edit, fill_template, phone

D = dt.date
# rep_a's three customers were met, and last heard of, on 20 September 2026
QUIET = D(2026, 10, 10)  # 20 days later: dormant
RECENT = D(2026, 9, 30)  # 10 days later: not yet


@pytest.fixture
def collided(app: Salesync, people: dict[str, str], tmp_path: Path) -> dict[str, int]:
    """rep_a owns customers 0–2; rep_b enters customers 0 and 1 again. A second region, GZ, has a
    manager and a rep of its own. Returns the collision ids by phone."""
    registered_customers(app, tmp_path)
    rows = customer_rows(2, first_contact="2026-09-20")
    outcome = app.ingest(fill_template("customers", rows, tmp_path / "rep_b" / "客户登记.xlsx"), "rep_b")
    assert outcome.verdict is Verdict.ACCEPTED and len(outcome.collisions) == 2
    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
        for username, roles in [("gz_manager", ["sales_manager"]), ("gz_rep", ["sales_rep"])]:
            accounts.add_user(session, username, name=username, roles=roles, password=PASSWORD, region="GZ")
        return {c.customer.phone: c.id for c in session.scalars(select(Collision))}


def refusal(app: Salesync, call: str, *args: object, **kwargs: object) -> OwnershipRefused:
    with pytest.raises(OwnershipRefused) as caught, app.transaction() as session:
        getattr(ownership, call)(session, *args, **kwargs)
    return caught.value


def owner(app: Salesync, number: int) -> tuple[str, dt.datetime]:
    with app.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.phone == phone(number))).one()
        return customer.owner.username, customer.owned_since


def log_tail(
    app: Salesync, count: int
) -> list[tuple[str | None, str, str, str | None, str | None, str | None]]:
    """The last ``count`` work-log entries, oldest first: who, entity, key, field, old, new."""
    with app.transaction() as session:
        names = {a.id: a.username for a in session.scalars(select(Account))}
        entries = session.scalars(select(WorkLogEntry).order_by(WorkLogEntry.id.desc()).limit(count)).all()
        assert worklog.verify(session).ok
        return [
            (names.get(e.account_id or 0), e.entity, e.key, e.field, e.old, e.new) for e in reversed(entries)
        ]


def test_a_manager_sees_the_open_collisions_of_their_region(app: Salesync, collided: dict[str, int]) -> None:
    with app.transaction() as session:
        mine = ownership.open_collisions(session, ownership.manager(session, "manager"))
        assert [(c.customer.phone, c.account.username, c.customer.owner.username) for c in mine] == [
            (phone(0), "rep_b", "rep_a"),
            (phone(1), "rep_b", "rep_a"),
        ]
        assert ownership.open_collisions(session, ownership.manager(session, "gz_manager")) == []
        assert len(ownership.open_collisions(session, None)) == 2
    assert refusal(app, "manager", "rep_a").code == "not-manager"


def test_keeping_the_owner_records_who_and_when(app: Salesync, collided: dict[str, int]) -> None:
    before = owner(app, 0)
    with app.transaction() as session:
        settled = ownership.settle_collision(session, collided[phone(0)], "manager", transfer=False, note="")
        assert settled.status == "settled" and settled.settled_at is not None and settled.resolution is None
        assert settled.settled_by_id == ownership.manager(session, "manager").id
    assert owner(app, 0) == before
    assert log_tail(app, 1) == [
        ("manager", "collision", str(collided[phone(0)]), "status", "open", "settled")
    ]
    with app.transaction() as session:
        left = tasks_for(session, "manager", QUIET, WorkCalendar()).tasks
        assert [t.subject for t in left if t.kind == "撞单"] == [phone(1)]


def test_a_transfer_gives_the_customer_to_the_rep_who_entered_it(
    app: Salesync, collided: dict[str, int], tmp_path: Path
) -> None:
    _, since = owner(app, 0)
    note = "客户表示一直由李强接待"
    with app.transaction() as session:
        done = ownership.settle_collision(session, collided[phone(0)], "senior", transfer=True, note=note)
        assert (done.status, done.resolution) == ("transferred", note)
    now_owner, now_since = owner(app, 0)
    assert now_owner == "rep_b" and now_since > since
    assert log_tail(app, 2) == [
        ("senior", "customer", phone(0), "owner", "rep_a", "rep_b"),
        ("senior", "collision", str(collided[phone(0)]), "status", "open", "transferred"),
    ]
    with app.transaction() as session:
        entry = session.scalars(select(WorkLogEntry).where(WorkLogEntry.entity == "customer")).all()[-1]
        assert note in entry.changes
        moved = session.scalars(select(Reassignment)).one()
        assert moved.reason == note
        # the other collision stays open
        assert [c.customer.phone for c in ownership.open_collisions(session, None)] == [phone(1)]

    # rep_a saves their workbook again: the customer they lost is reported as reassigned to rep_b
    # (not as a collision of rep_a's, which it is not)
    path = tmp_path / "rep_a" / "客户登记.xlsx"
    edit(path, "客户", 3, "备注", "回访")
    again = app.ingest(path, "rep_a")
    assert again.collisions == []
    moved_away = [(f.row, f.params["owner"]) for f in again.findings if f.code == "customer-reassigned"]
    assert moved_away == [(2, "rep_b")]


def test_settling_is_refused_in_words(app: Salesync, collided: dict[str, int]) -> None:
    first = collided[phone(0)]
    wrong_role = refusal(app, "settle_collision", first, "rep_a", transfer=False)
    assert wrong_role.code == "not-manager" and "rep_a 不是销售经理" in str(wrong_role)
    assert "is not a sales manager" in wrong_role.message("en")
    other = refusal(app, "settle_collision", first, "gz_manager", transfer=False)
    assert other.code == "collision-other-region" and "不属于本地区（GZ）" in str(other)
    no_note = refusal(app, "settle_collision", first, "manager", transfer=True, note="  ")
    assert no_note.code == "note-required"
    assert refusal(app, "settle_collision", 999, "manager", transfer=False).code == "collision-unknown"
    with app.transaction() as session:
        accounts.disable_user(session, "senior")
    assert refusal(app, "settle_collision", first, "senior", transfer=False).code == "disabled"
    with app.transaction() as session:
        assert session.get(Collision, first).status == "open"  # type: ignore[union-attr]

    with app.transaction() as session:
        ownership.settle_collision(session, first, "manager", transfer=False, note="")
    twice = refusal(app, "settle_collision", first, "manager", transfer=True, note="再改")
    assert (
        twice.code == "collision-settled"
        and "已于" in str(twice)
        and "由 manager 处理（维持原归属）" in str(twice)
    )
    assert owner(app, 0)[0] == "rep_a"


def test_a_dormant_customer_is_reassigned_with_the_reason(app: Salesync, collided: dict[str, int]) -> None:
    with app.transaction() as session:
        region = ownership.manager(session, "manager").region_id
        listed = ownership.dormant_customers(session, region, QUIET)
        assert [(i.customer.phone, i.last_day, i.idle_days(QUIET)) for i in listed] == [
            (phone(n), D(2026, 9, 20), 20) for n in range(3)
        ]
        assert ownership.dormant_customers(session, region, RECENT) == []
        # dormant from the 14th day: 4 October, not 3 October
        assert len(ownership.dormant_customers(session, region, D(2026, 10, 4))) == 3
        assert ownership.dormant_customers(session, region, D(2026, 10, 3)) == []
        moved = ownership.reassign_customer(
            session, f"+86 {phone(2)[:3]} {phone(2)[3:]}", "manager", "rep_b", "张丽离职交接", today=QUIET
        )
        assert (moved.before.username, moved.after.username, moved.record.reason) == (
            "rep_a",
            "rep_b",
            "张丽离职交接",
        )
    assert owner(app, 2)[0] == "rep_b"
    assert log_tail(app, 1) == [("manager", "customer", phone(2), "owner", "rep_a", "rep_b")]
    with app.transaction() as session:
        assert "张丽离职交接" in session.scalars(select(WorkLogEntry)).all()[-1].changes
        # the new rep has 14 days afresh: no longer listed, and not reassigned again at once
        phones = [i.customer.phone for i in ownership.dormant_customers(session, region, QUIET)]
        assert phones == [phone(0), phone(1)]
        # its open collisions are untouched
        assert len(ownership.open_collisions(session, None)) == 2
    again = refusal(app, "reassign_customer", phone(2), "manager", "rep_a", "还给张丽", today=QUIET)
    assert again.code == "recently-reassigned"


@pytest.mark.parametrize(
    ("who", "number", "to", "reason", "today", "code"),
    [
        ("rep_a", 0, "rep_b", "长期未跟进", QUIET, "not-manager"),
        ("gz_manager", 0, "gz_rep", "长期未跟进", QUIET, "customer-other-region"),
        ("manager", 0, "rep_b", "长期未跟进", RECENT, "not-dormant"),
        ("manager", 0, "operator", "长期未跟进", QUIET, "to-not-rep"),
        ("manager", 0, "gz_rep", "长期未跟进", QUIET, "to-not-rep"),
        ("manager", 0, "rep_a", "长期未跟进", QUIET, "to-owner"),
        ("manager", 0, "nobody", "长期未跟进", QUIET, "to-unknown"),
        ("manager", 0, "rep_b", " ", QUIET, "reason-required"),
        ("manager", 99, "rep_b", "长期未跟进", QUIET, "customer-unknown"),
    ],
)
def test_reassigning_is_refused_in_words(
    app: Salesync, collided: dict[str, int], who: str, number: int, to: str, reason: str, today: D, code: str
) -> None:
    refused = refusal(app, "reassign_customer", phone(number), who, to, reason, today=today)
    assert refused.code == code and str(refused).startswith("客户归属操作未执行：")
    assert refused.message("en").startswith("Not done: ")
    assert owner(app, 0)[0] == "rep_a"


def test_a_customer_in_a_live_deal_is_not_dormant(
    app: Salesync, collided: dict[str, int], tmp_path: Path
) -> None:
    add_staff(app)
    signed_project(app, tmp_path)
    deal = {"认购": [subscription("S001", R1, "2026-09-29", 3441760, area=109.75, unit=31360)]}
    assert not ingest(app, "sales_control", deal, tmp_path / "control" / "销控.xlsx", "control").errors
    refused = refusal(app, "reassign_customer", phone(0), "manager", "rep_b", "长期未跟进", today=QUIET)
    assert refused.code == "buying" and "进行中的认购或签约" in str(refused)
    with app.transaction() as session:
        region = ownership.manager(session, "manager").region_id
        assert phone(0) not in [i.customer.phone for i in ownership.dormant_customers(session, region, QUIET)]


def test_the_commands_settle_and_reassign_and_refuse_in_words(
    app: Salesync, collided: dict[str, int], tmp_path: Path
) -> None:
    """The customers were last heard of on 20 September 2026: dormant on any day from 4 October."""
    base = ["--db", app.config.database_url, "--data-dir", str(tmp_path / "data")]

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, [*base, *args])
        return result.exit_code, result.output

    code, out = run("collisions", "list", "--as", "manager")
    assert code == 0 and out.count("归属 张丽（rep_a）") == 2 and out.count("录入 李强（rep_b）") == 2
    code, out = run("collisions", "list", "--as", "gz_manager")
    assert (code, out.strip()) == (0, "没有待处理的撞单")
    code, out = run("collisions", "list", "--json")
    assert [(c["id"], c["phone"], c["owner"], c["rep"]) for c in json.loads(out)] == [
        (collided[phone(n)], phone(n), "rep_a", "rep_b") for n in (0, 1)
    ]
    code, out = run("collisions", "list", "--as", "rep_a")
    assert code == 4 and "rep_a 不是销售经理" in out

    first = str(collided[phone(0)])
    code, out = run("collisions", "settle", first, "--as", "manager")
    assert code == 2 and "--keep" in out
    code, out = run("collisions", "settle", first, "--as", "manager", "--transfer")
    assert code == 4 and "转给录入人须填写处理说明" in out
    code, out = run("collisions", "settle", first, "--as", "manager", "--transfer", "--note", "李强先接待")
    assert code == 0 and "转给录入人" in out and "归属 李强（rep_b）" in out
    code, out = run("collisions", "settle", first, "--as", "manager", "--keep")
    assert code == 4 and "已于" in out and "转给录入人" in out
    code, out = run("collisions", "settle", str(collided[phone(1)]), "--as", "gz_manager", "--keep")
    assert code == 4 and "不属于本地区（GZ）" in out

    code, out = run("customers", "dormant", "--as", "manager", "--json")
    listed = json.loads(out)
    assert [(r["phone"], r["owner"], r["last_event"]) for r in listed] == [
        (phone(1), "rep_a", "2026-09-20"),
        (phone(2), "rep_a", "2026-09-20"),
    ]  # customer 0 went to rep_b a moment ago: a fresh 14 days
    assert all(r["idle_days"] >= 14 for r in listed)
    code, out = run("customers", "dormant", "--as", "manager")
    assert code == 0 and f"{phone(2)}  " in out and "天未跟进" in out
    reassign = ["customers", "reassign", phone(2), "--as", "manager"]
    code, out = run(*reassign, "--to", "operator", "--reason", "长期未跟进")
    assert code == 4 and "operator 不是本地区（SZ）在职的销售代表" in out
    code, out = run(*reassign, "--to", "rep_b", "--reason", "长期未跟进")
    assert code == 0 and "由 张丽（rep_a）重新分配给 李强（rep_b）" in out
    assert owner(app, 2)[0] == "rep_b"
    code, out = run("audit", "verify")
    assert code == 0, out


def test_the_collisions_report_tells_how_each_was_settled(app: Salesync, collided: dict[str, int]) -> None:
    today = dt.datetime.now(SHANGHAI).date()
    with app.transaction() as session:
        session.add(Project(code="SZ-X01", name="海湾一期", region_code="SZ", pricing_basis="建筑面积"))
        ownership.settle_collision(session, collided[phone(0)], "manager", transfer=False, note="")
    with app.transaction() as session:
        ownership.settle_collision(
            session, collided[phone(1)], "manager", transfer=True, note="一直由李强接待"
        )
    with app.transaction() as session:
        report = build(session, "collisions", Scope("SZ-X01", today, today))
    assert dict(zip(report["customer_phone"], report["status"], strict=True)) == {
        phone(0): "维持原归属",
        phone(1): "已转给录入人",
    }
