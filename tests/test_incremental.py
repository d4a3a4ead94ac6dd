"""Only what changed is written; the same bytes twice is a no-op."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from schema.models import Customer, WorkbookVersion
from sync.app import Salesync
from sync.pipeline.outcome import Verdict
from tests.workbooks import customer_rows, edit, fill_template


def test_same_file_twice_writes_nothing_and_three_cells_write_three_rows(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = fill_template("customers", customer_rows(50), tmp_path / "客户登记.xlsx")
    first = app.ingest(path, "rep_a")
    assert first.verdict is Verdict.ACCEPTED and first.rows_written == 100  # 50 customers + 50 events

    again = app.ingest(path, "rep_a")  # the stamped file as written back
    assert again.verdict is Verdict.UNCHANGED and again.rows_written == 0

    edit(path, "客户", 3, "备注", "想要高楼层")
    edit(path, "客户", 10, "意向户型", "四房")
    edit(path, "客户事件", 20, "事件内容", "第二次看房")
    third = app.ingest(path, "rep_a")
    assert third.verdict is Verdict.ACCEPTED
    assert third.rows_written == 3
    assert third.seq == 2 and third.based_on_seq == 1
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 50
        note = session.scalar(select(Customer.note).where(Customer.phone == "13900000001"))
        assert note == "想要高楼层"
        assert session.scalar(select(func.count()).select_from(WorkbookVersion)) == 2


def test_original_bytes_seen_again_are_unchanged(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = fill_template("customers", customer_rows(5), tmp_path / "a.xlsx")
    original = path.read_bytes()
    app.ingest(path, "rep_a")
    assert path.read_bytes() != original  # stamped
    copy = tmp_path / "again.xlsx"
    copy.write_bytes(original)
    assert app.ingest(copy, "rep_a").verdict is Verdict.UNCHANGED
