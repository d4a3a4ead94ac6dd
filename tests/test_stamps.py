"""Version stamps: accepted versions are stamped; stale copies don't undo; copies start new workbooks."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from schema.models import Room, Workbook
from sync.app import Salesync
from sync.pipeline.outcome import Verdict
from sync.xlsx.stamp_write import read_stamp
from tests.signers import sign_off
from tests.workbooks import customer_rows, fill_template, master_rows


def test_accepted_version_is_stamped_and_nothing_else_changes(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = fill_template("customers", customer_rows(3), tmp_path / "客户登记.xlsx")
    before = zipfile.ZipFile(path)
    parts = {n: before.read(n) for n in before.namelist()}
    outcome = app.ingest(path, "rep_a")
    stamp = read_stamp(path.read_bytes())
    assert stamp is not None
    assert (stamp.workbook_uid, stamp.accepted_version) == (outcome.workbook_uid, 1)
    after = zipfile.ZipFile(path)
    changed = [n for n in after.namelist() if after.read(n) != parts.get(n)]
    assert len(changed) == 1 and changed[0].startswith("xl/worksheets/")


def test_stale_copy_keeps_rows_added_in_between_and_reports_conflicts(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "项目资料.xlsx"
    rows = master_rows()
    v1 = app.ingest(fill_template("project_master", rows, path), "operator")
    assert v1.seq == 1
    sign_off(app, v1)
    stale = tmp_path / "stale-copy.xlsx"
    shutil.copy(path, stale)  # someone keeps v1 open

    newer = master_rows(rooms_per_building=5)  # v2 adds a room per building …
    newer["房间"][0]["单价"] = 35000  # … and reprices the first room
    newer["房间"][0]["总价"] = round(35000 * newer["房间"][0]["建筑面积"], 2)
    from tests.workbooks import edit

    v2 = fill_template("project_master", newer, tmp_path / "v2.xlsx")
    _carry_stamp(path, v2)
    shutil.move(v2, path)
    v2_outcome = app.ingest(path, "operator")
    assert v2_outcome.seq == 2
    sign_off(app, v2_outcome)

    # The stale copy (stamped v1) is saved over the workbook with its own change to the same room.
    edit(stale, "房间", 2, "单价", 34000)
    edit(stale, "房间", 2, "总价", round(34000 * rows["房间"][0]["建筑面积"], 2))
    shutil.copy(stale, path)
    outcome = app.ingest(path, "operator")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.findings
    assert outcome.based_on_seq == 1 and outcome.seq == 3
    assert {f.code for f in outcome.findings} >= {"stale-conflict", "stale-kept"}
    assert {(f.header, f.code) for f in outcome.findings if f.code == "stale-conflict"} == {
        ("单价", "stale-conflict"),
        ("总价", "stale-conflict"),
    }
    with app.transaction() as session:
        live = session.scalar(select(func.count()).select_from(Room).where(Room.removed_at.is_(None)))
        assert live == len(newer["房间"])  # the two rooms added in v2 survive
        price = session.scalar(select(Room.unit_price).where(Room.code == rows["房间"][0]["房间编码"]))
        assert float(price or 0) == 35000  # v2's change is not undone


def _carry_stamp(stamped: Path, target: Path) -> None:
    """Make ``target`` look like ``stamped`` saved again with new content (same hidden sheet)."""
    from sync.xlsx.stamp_write import write_stamp

    stamp = read_stamp(stamped.read_bytes())
    assert stamp is not None
    target.write_bytes(write_stamp(target.read_bytes(), stamp))


def test_copy_of_a_stamped_workbook_starts_a_new_workbook(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    original = fill_template("customers", customer_rows(3), tmp_path / "客户登记.xlsx")
    first = app.ingest(original, "rep_a")
    copy = tmp_path / "客户登记-新.xlsx"
    shutil.copy(original, copy)
    from tests.workbooks import edit

    edit(copy, "客户", 2, "备注", "新的工作簿")
    second = app.ingest(copy, "rep_a")
    assert second.verdict is Verdict.ACCEPTED
    assert second.workbook_uid != first.workbook_uid
    assert second.based_on_seq is None and second.seq == 1
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Workbook)) == 2


def test_saves_while_excel_holds_the_file_continue_one_workbook(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    """Excel keeps the file open between saves, so no stamp can be written in: the next save has
    none, and is still the same workbook, based on the version before it."""
    from sync.pipeline.feedback import excel_lock_paths
    from tests.workbooks import edit

    path = fill_template("customers", customer_rows(40), tmp_path / "客户登记.xlsx")
    lock = excel_lock_paths(path)[0]
    lock.write_bytes(b"rep_a")  # Excel has it open
    first = app.ingest(path, "rep_a")
    assert read_stamp(path.read_bytes()).workbook_uid is None  # type: ignore[union-attr]

    edit(path, "客户", 3, "备注", "第二次保存")
    second = app.ingest(path, "rep_a")
    assert second.verdict is Verdict.ACCEPTED, second.findings
    assert second.workbook_uid == first.workbook_uid
    assert (second.based_on_seq, second.seq) == (1, 2)
    assert second.rows_written == 1
    assert second.rows_unchanged > 0  # the untouched rows were recognised from version 1

    lock.unlink()  # Excel closed: the next accepted version's stamp goes in
    edit(path, "客户", 4, "备注", "第三次保存")
    third = app.ingest(path, "rep_a")
    assert (third.workbook_uid, third.seq) == (first.workbook_uid, 3)
    stamp = read_stamp(path.read_bytes())
    assert stamp is not None and (stamp.workbook_uid, stamp.accepted_version) == (first.workbook_uid, 3)

    # Now the file carries its stamp: a file without one at this place is another workbook.
    fresh = fill_template("customers", customer_rows(5), tmp_path / "new.xlsx")
    shutil.move(fresh, path)
    other = app.ingest(path, "rep_a")
    assert other.workbook_uid != first.workbook_uid and other.seq == 1
    with app.transaction() as session:
        books = session.scalars(select(Workbook).order_by(Workbook.id)).all()
        assert [(b.accepted_seq, b.stamped_seq) for b in books] == [(3, 3), (1, 1)]


def test_an_unstamped_file_of_another_author_starts_its_own_workbook(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    from sync.pipeline.feedback import excel_lock_paths

    path = fill_template("customers", customer_rows(5), tmp_path / "客户登记.xlsx")
    excel_lock_paths(path)[0].write_bytes(b"rep_a")
    first = app.ingest(path, "rep_a")
    other = fill_template("customers", customer_rows(5, start=100), tmp_path / "b.xlsx")
    shutil.move(other, path)
    second = app.ingest(path, "rep_b")
    assert second.workbook_uid != first.workbook_uid and second.seq == 1
