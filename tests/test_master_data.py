"""project_master: cell-exact errors reject the version whole; a clean one becomes a pending change set
that applies once signed (``tests.signers.sign_off``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from schema.models import ChangeItem, ChangeSet, Room
from sync.app import Salesync
from sync.domain import sealed_audit
from sync.domain.worklog import verify
from sync.pipeline.outcome import Verdict
from tests.signers import sign_off
from tests.workbooks import fill_template, master_rows


def broken_master() -> dict[str, list[dict[str, object]]]:
    rows = master_rows()
    rows["房间"][0]["建筑面积"] = 120.00  # ≠ 套内 + 公摊
    rows["房间"][1]["总价"] = rows["房间"][1]["总价"] + 5000  # ≠ 单价 × 建筑面积
    rows["房间"][2]["楼层"] = 25  # building has 18 floors
    rows["付款方案明细"][2]["比例"] = 0.6  # 0.3 + 0.6 = 0.9
    return rows


def test_four_faults_reject_the_workbook_at_the_exact_cells(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    outcome = app.ingest(
        fill_template("project_master", broken_master(), tmp_path / "项目资料.xlsx"), "operator"
    )
    assert outcome.verdict is Verdict.REJECTED
    assert sorted((f.sheet, f.row, f.header, f.code) for f in outcome.errors) == [
        ("付款方案明细", 4, "比例", "plan-ratio-sum"),
        ("房间", 2, "建筑面积", "area-sum"),
        ("房间", 3, "总价", "total-price"),
        ("房间", 4, "楼层", "floor-range"),
    ]
    assert all(f.message() for f in outcome.errors)
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Room)) == 0
        assert session.scalar(select(func.count()).select_from(ChangeSet)) == 0


def test_fixed_workbook_ingests_and_its_change_set_lists_every_row(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "项目资料.xlsx"
    app.ingest(fill_template("project_master", broken_master(), path), "operator")
    rows = master_rows()
    outcome = app.ingest(fill_template("project_master", rows, path), "operator")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.findings
    assert [f.code for f in outcome.findings] == ["change-set-pending"]
    expected_rows = sum(len(v) for k, v in rows.items() if k != "变更说明")
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Room)) == 0  # nothing applies unsigned
    assert sign_off(app, outcome).rows_written == expected_rows
    with app.transaction() as session:
        change_set = session.get(ChangeSet, outcome.change_set_id)
        assert change_set is not None
        assert change_set.status == "已生效" and change_set.is_initial
        assert change_set.instructed_by == "陈刚"
        adds = [i for i in change_set.items if i.op == "add"]
        assert len(adds) == expected_rows
        assert {i.entity for i in adds} == {
            "project",
            "building",
            "room",
            "payment_plan",
            "payment_plan_line",
            "discount",
        }
        assert session.scalar(select(func.count()).select_from(Room)) == len(rows["房间"])
        sealed = [
            d["count"] for e, d in sealed_audit.sealed_entries(session) if e.change_set_id == change_set.id
        ]
        assert sum(sealed) == expected_rows  # every new row, sealed by digest: one entry per table
        assert verify(session).ok


def test_a_change_lists_old_and_new_and_a_missing_row_is_a_kept_removal(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "项目资料.xlsx"
    rows = master_rows()
    sign_off(app, app.ingest(fill_template("project_master", rows, path), "operator"))
    room = rows["房间"].pop()  # removed
    first = rows["房间"][0]
    first["单价"], first["总价"] = 33000, round(33000 * first["建筑面积"], 2)
    outcome = app.ingest(fill_template("project_master", rows, tmp_path / "v2.xlsx"), "operator")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.findings
    sign_off(app, outcome)
    with app.transaction() as session:
        items = session.scalars(
            select(ChangeItem).where(ChangeItem.change_set_id == outcome.change_set_id)
        ).all()
        assert sorted((i.op, i.key, i.field) for i in items) == [
            ("change", first["房间编码"], "total_price"),
            ("change", first["房间编码"], "unit_price"),
            ("remove", room["房间编码"], None),
        ]
        price = next(i for i in items if i.field == "unit_price")
        assert (price.old, price.new) == ("32000", "33000")
        removed = session.scalar(select(Room).where(Room.code == room["房间编码"]))
        assert removed is not None and removed.removed_at is not None


def test_unknown_region_and_project_references(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    rows = master_rows()
    rows["项目"][0]["地区编码"] = "BJ"
    rows["房间"][0]["楼栋编码"] = "B9"
    outcome = app.ingest(fill_template("project_master", rows, tmp_path / "x.xlsx"), "operator")
    assert outcome.verdict is Verdict.REJECTED
    assert sorted(f.flat() for f in outcome.errors) == [
        (2, "地区编码", "unknown-region"),
        (2, "楼栋编码", "unknown-building"),
    ]


def test_a_rep_may_not_submit_master_data(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    outcome = app.ingest(fill_template("project_master", master_rows(), tmp_path / "x.xlsx"), "rep_a")
    assert outcome.verdict is Verdict.REJECTED
    assert [f.code for f in outcome.findings] == ["not-permitted"]


def test_removing_an_unusual_share_of_rows_is_held_for_confirmation(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = master_rows(rooms_per_building=15)
    sign_off(app, app.ingest(fill_template("project_master", rows, tmp_path / "v1.xlsx"), "operator"))
    rows["房间"] = rows["房间"][:5]  # 25 of 30 rooms gone
    path = fill_template("project_master", rows, tmp_path / "v2.xlsx")
    held = app.ingest(path, "operator")
    assert held.verdict is Verdict.HELD and held.verdict.exit_code == 3
    assert [f.code for f in held.findings] == ["too-many-removals"]
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Room).where(Room.removed_at.is_(None))) == 30
    confirmed = app.ingest(path, "operator", allow_removals=True)
    assert confirmed.verdict is Verdict.ACCEPTED
    with app.transaction() as session:  # confirmed, but still waiting for its signature
        assert session.scalar(select(func.count()).select_from(Room).where(Room.removed_at.is_(None))) == 30
    sign_off(app, confirmed)
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Room).where(Room.removed_at.is_(None))) == 5
        assert session.scalar(select(func.count()).select_from(Room)) == 30  # removals are kept, not erased
