"""Feedback after ingest: beside the file always, inside it only when no office suite holds it."""

from __future__ import annotations

from pathlib import Path

import fastexcel
from openpyxl import load_workbook

from sync.app import Salesync
from sync.pipeline.feedback import result_path
from sync.pipeline.outcome import Verdict
from sync.xlsx.stamp_write import read_stamp
from tests.workbooks import customer_rows, edit, fill_template


def bad_workbook(tmp_path: Path) -> Path:
    rows = customer_rows(3)
    rows["客户"][1]["客户来源"] = "朋友介绍"
    return fill_template("customers", rows, tmp_path / "客户登记.xlsx")


def test_bad_rows_are_marked_inside_the_workbook(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = bad_workbook(tmp_path)
    outcome = app.ingest(path, "rep_a")
    assert outcome.verdict is Verdict.PARTIAL and outcome.seq == 1

    ws = load_workbook(path)["客户"]
    headers = [c.value for c in ws[1]]
    status = headers.index("同步状态") + 1
    assert ws.cell(2, status).value == "✓ 已同步 v1"
    assert str(ws.cell(3, status).value).startswith("✗ ")
    source = ws.cell(3, headers.index("客户来源") + 1)
    assert source.fill.fgColor.rgb == "FFFFC7CE" and source.comment is not None
    stamp = read_stamp(path.read_bytes())
    assert stamp is not None and stamp.accepted_version == 1

    problems = fastexcel.read_excel(result_path(path)).load_sheet("问题").to_pandas()
    assert problems[["工作表", "行号", "列", "代码"]].values.tolist() == [
        ["客户", 3, "客户来源", "choice"],
        ["客户事件", 3, "手机号码", "event-customer-rejected"],  # waits for its customer row
    ]

    # The annotated file as salesync wrote it is nothing new …
    assert app.ingest(path, "rep_a").verdict is Verdict.UNCHANGED
    # … and once the author fixes the row, the marks go away.
    edit(path, "客户", 3, "客户来源", "来访")
    fixed = app.ingest(path, "rep_a")
    assert fixed.verdict is Verdict.ACCEPTED and fixed.rows_written == 2  # the customer and its event
    ws = load_workbook(path)["客户"]
    assert ws.cell(3, status).value == "✓ 已同步 v2"
    assert ws.cell(3, headers.index("客户来源") + 1).comment is None


def test_a_workbook_open_in_excel_is_left_alone(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = bad_workbook(tmp_path)
    (tmp_path / f"~${path.name}").write_bytes(b"owner")
    before = path.read_bytes()
    outcome = app.ingest(path, "rep_a")
    assert outcome.verdict is Verdict.PARTIAL
    assert path.read_bytes() == before
    assert result_path(path).exists()


def test_a_collided_row_says_whose_customer_it_stays(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    assert app.ingest(
        fill_template("customers", customer_rows(2), tmp_path / "a" / "客户登记.xlsx"), "rep_a"
    ).seq
    rows = customer_rows(3, start=1)  # customer 1 is rep_a's; 2 and 3 are new
    path = fill_template("customers", rows, tmp_path / "b" / "客户登记.xlsx")
    outcome = app.ingest(path, "rep_b")
    assert outcome.verdict is Verdict.ACCEPTED and len(outcome.collisions) == 1

    ws = load_workbook(path)["客户"]
    status = [c.value for c in ws[1]].index("同步状态") + 1
    assert ws.cell(2, status).value == "⚠ 已同步 v1；撞单：客户归属 张丽（rep_a）"
    assert ws.cell(3, status).value == ws.cell(4, status).value == "✓ 已同步 v1"
