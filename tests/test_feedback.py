"""Feedback to the author: the result workbook beside the file and the marks in the file itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import replace
from pathlib import Path

import fastexcel
import pyarrow as pa
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sync.pipeline import feedback
from sync.pipeline.feedback import (
    ERROR_RGB,
    WARNING_RGB,
    annotate_workbook,
    excel_lock_paths,
    is_feedback_file,
    is_open,
    result_path,
    write_result_workbook,
)
from sync.pipeline.outcome import Outcome, RowStatus, Verdict
from sync.xlsx import swap
from sync.xlsx.stamp import STAMP_SHEET, Stamp
from validators.findings import Finding, FindingRun, Findings, Severity

SINCE = dt.datetime(2026, 11, 20, 2, 3, 4, tzinfo=dt.UTC)  # 10:03:04 in Shanghai
USER_RGB = "FF00B0F0"
BAD_STYLE_FONT = "FF9C0006"  # Excel's built-in 差 (Bad) style: our red fill with this font

PHONE_BAD = Finding("phone-invalid", "客户", 3, "手机号码", "1380013")
NEEDS_EVENT = Finding("customer-needs-event", "客户", 4)
COLLISION = Finding(
    "collision",
    "客户",
    2,
    "手机号码",
    "13800138000",
    {"owner_name": "张三", "owner": "zhangsan", "since": SINCE},
    Severity.WARNING,
)
MISSING_COLUMN = Finding("column-missing", "成交问卷", None, "填写日期")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows_of(ws) -> list[tuple]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A 客户登记 workbook as a rep saves it: data rows, a dropdown, the hidden stamp, user marks."""
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = "客户"
    ws.append(["客户姓名*", "手机号码*", "客户来源*", "首次接触日期*", "备注"])
    ws.append(["李四", "13800138000", "来电", dt.datetime(2026, 11, 25), "老客户介绍"])
    ws.append(["王五", "1380013", "来访", dt.datetime(2026, 11, 25), "看过样板间"])
    ws.append(["赵六", "13900139000", "网络", dt.datetime(2026, 11, 26), None])
    sources = DataValidation(type="list", formula1='"来电,来访,老带新,网络,渠道,其他"')
    sources.add("C2:C200")
    ws.add_data_validation(sources)
    ws["E3"].fill = PatternFill("solid", fgColor=USER_RGB)
    ws["E3"].comment = Comment("客户要求周末回访", "王经理")
    ws["B2"].comment = Comment("老客户", "王经理")
    ws["A4"].fill = PatternFill("solid", fgColor=ERROR_RGB)
    ws["A4"].font = Font(color=BAD_STYLE_FONT)
    events = wb.create_sheet("客户事件")
    events.append(["手机号码*", "事件类型*", "事件时间*"])
    events.append(["13800138000", "首次来电", dt.datetime(2026, 11, 25, 9, 30)])
    stamp = wb.create_sheet(STAMP_SHEET)
    stamp.append(["template_id", "customers"])
    stamp.append(["template_version", "1"])
    stamp.sheet_state = "hidden"
    path = tmp_path / "客户登记.xlsx"
    wb.save(path)
    return path


def first_outcome(path: Path) -> Outcome:
    return Outcome(
        path=str(path),
        account="lisi",
        verdict=Verdict.PARTIAL,
        kind="customers",
        seq=7,
        based_on_seq=6,
        seen_at=SINCE,
        rows_total=4,
        rows_accepted=2,
        rows_rejected=2,
        rows_written=2,
        findings=Findings([COLLISION, NEEDS_EVENT, PHONE_BAD]),
        rows=[
            RowStatus("客户", 2, True),
            RowStatus("客户", 3, False, PHONE_BAD.message()),
            RowStatus("客户", 4, False, NEEDS_EVENT.message()),
            RowStatus("客户事件", 2, True),
        ],
    )


# -- paths and locks -------------------------------------------------------------------------------


def test_result_path_sits_beside_the_workbook(tmp_path: Path) -> None:
    source = tmp_path / "客户登记.xlsx"
    assert result_path(source) == tmp_path / "客户登记.反馈.xlsx"
    assert is_feedback_file(result_path(source))
    assert not is_feedback_file(source)
    assert is_feedback_file(tmp_path / f"{feedback.TEMP_PREFIX}0a1b2c.tmp")


@pytest.mark.parametrize("lock", ["~$Quarterly.xlsx", "~$arterly.xlsx", ".~lock.Quarterly.xlsx#"])
def test_is_open_sees_excel_and_libreoffice_owner_files(tmp_path: Path, lock: str) -> None:
    path = tmp_path / "Quarterly.xlsx"
    path.touch()
    assert not is_open(path)
    (tmp_path / lock).touch()
    assert is_open(path)
    assert tmp_path / lock in excel_lock_paths(path)


def test_is_open_for_a_chinese_name(tmp_path: Path) -> None:
    path = tmp_path / "客户登记.xlsx"
    (tmp_path / "~$客户登记.xlsx").touch()
    assert is_open(path)


# -- the result workbook ---------------------------------------------------------------------------


def test_result_workbook_lists_summary_findings_and_collisions(workbook: Path) -> None:
    outcome = first_outcome(workbook)
    outcome.findings.append(MISSING_COLUMN)
    target = write_result_workbook(workbook, outcome)

    assert target == result_path(workbook)
    wb = load_workbook(target)
    assert wb.sheetnames == ["概要", "问题", "撞单"]
    summary = dict(rows_of(wb["概要"]))
    assert summary["文件"] == str(workbook)
    assert summary["账号"] == "lisi"
    assert summary["结果"] == "部分接收"
    assert (summary["版本"], summary["基于版本"]) == ("v7", "v6")
    assert summary["收到时间"] == "2026-11-20 10:03:04"
    assert [summary[k] for k in ("总行数", "接收", "拒收", "写入", "撞单", "冲突")] == [4, 2, 2, 2, 1, 0]
    assert summary["错误"] == MISSING_COLUMN.message()

    problems = wb["问题"]
    assert rows_of(problems)[0] == ("工作表", "行号", "列", "值", "严重程度", "代码", "说明")
    assert [r[:6] for r in rows_of(problems)[1:]] == [
        ("客户", 2, "手机号码", "13800138000", "提醒", "collision"),
        ("客户", 3, "手机号码", "1380013", "错误", "phone-invalid"),
        ("客户", 4, None, None, "错误", "customer-needs-event"),
        ("成交问卷", None, "填写日期", None, "错误", "column-missing"),
    ]
    assert rows_of(problems)[2][6] == PHONE_BAD.message()
    assert problems.freeze_panes == "A2"
    assert problems.auto_filter.ref == "A1:G5"
    assert problems["A1"].font.bold

    collisions = rows_of(wb["撞单"])
    assert collisions[0] == ("工作表", "行号", "手机号码", "归属人", "首次录入时间", "说明")
    assert collisions[1:] == [
        ("客户", 2, "13800138000", "张三（zhangsan）", "2026-11-20 10:03:04", COLLISION.message()),
    ]


def test_result_workbook_lists_every_error_and_collision_but_counts_a_flood_of_warnings(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.pipeline.feedback.WARNINGS_LISTED", 3)
    outcome = first_outcome(workbook)
    days = pa.array(["2026-09-30"])
    late = FindingRun(
        "late-entry",
        "客户",
        "首次接触日期",
        pa.array(range(10, 20), pa.int64()),
        pa.DictionaryArray.from_arrays(pa.array([0] * 10, pa.int32()), days),
        ({"deadline": "2026-10-08 23:59"},),
    )
    outcome.findings.add_run(late)
    for row in range(30, 35):  # errors are never cut short
        outcome.findings.append(Finding("phone-invalid", "客户", row, "手机号码", "1"))
    for row in range(40, 45):
        outcome.findings.append(replace(COLLISION, row=row))

    wb = load_workbook(write_result_workbook(workbook, outcome))
    listed = [(r[1], r[5]) for r in rows_of(wb["问题"])[1:]]
    assert [row for row, code in listed if code == "late-entry"] == [10, 11, 12]
    assert sum(code == "phone-invalid" for _, code in listed) == 6
    assert sum(code == "collision" for _, code in listed) == 6
    assert len(rows_of(wb["撞单"])) == 1 + 6
    left_out = [value for key, value in rows_of(wb["概要"]) if key == "未列出"]
    assert left_out == ["late-entry：另有 7 条提醒未列出，均已记入系统"]


def test_result_workbook_in_english(workbook: Path) -> None:
    wb = load_workbook(write_result_workbook(workbook, first_outcome(workbook), lang="en"))
    assert rows_of(wb.worksheets[1])[0] == ("Sheet", "Row", "Column", "Value", "Severity", "Code", "Message")
    assert rows_of(wb.worksheets[1])[1][4:] == ("Warning", "collision", COLLISION.message("en"))
    assert dict(rows_of(wb.worksheets[0]))["Result"] == "partial"


def test_a_cell_value_never_becomes_a_formula(workbook: Path) -> None:
    outcome = first_outcome(workbook)
    outcome.findings = Findings(
        [Finding("phone-invalid", "客户", 3, "手机号码", '=HYPERLINK("http://x","y")')]
    )
    cell = load_workbook(write_result_workbook(workbook, outcome))["问题"]["D2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","y")', "s")


def test_writes_leave_no_temp_files(workbook: Path) -> None:
    write_result_workbook(workbook, first_outcome(workbook))
    annotate_workbook(workbook, first_outcome(workbook), expected_sha256=sha256(workbook))
    write_result_workbook(workbook, first_outcome(workbook))
    assert sorted(p.name for p in workbook.parent.iterdir()) == ["客户登记.xlsx", "客户登记.反馈.xlsx"]


def test_a_failed_replace_leaves_the_workbook_and_no_temp_file(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = workbook.read_bytes()

    def broken(src: object, dst: object) -> None:
        raise PermissionError("share is read-only")

    monkeypatch.setattr(feedback.os, "replace", broken)
    monkeypatch.setattr(swap, "_exchange", broken)  # the atomic exchange, where the system has it
    with pytest.raises(PermissionError):
        annotate_workbook(workbook, first_outcome(workbook), expected_sha256=sha256(workbook))
    assert workbook.read_bytes() == before
    assert [p.name for p in workbook.parent.iterdir()] == ["客户登记.xlsx"]


# -- annotating the workbook itself ----------------------------------------------------------------


def test_annotate_skips_a_workbook_open_in_excel(workbook: Path) -> None:
    before = workbook.read_bytes()
    (workbook.parent / "~$客户登记.xlsx").touch()
    assert annotate_workbook(workbook, first_outcome(workbook), expected_sha256=sha256(workbook)) is None
    assert workbook.read_bytes() == before


def test_annotate_skips_a_workbook_saved_again_meanwhile(workbook: Path) -> None:
    validated = sha256(workbook)
    wb = load_workbook(workbook)
    wb["客户"]["E4"] = "刚补充的备注"
    wb.save(workbook)
    before = workbook.read_bytes()
    assert annotate_workbook(workbook, first_outcome(workbook), expected_sha256=validated) is None
    assert workbook.read_bytes() == before


def test_annotate_writes_status_column_and_marks_cells(workbook: Path) -> None:
    written = annotate_workbook(workbook, first_outcome(workbook), expected_sha256=sha256(workbook))

    assert written == sha256(workbook)
    wb = load_workbook(workbook)
    ws = wb["客户"]
    assert [ws.cell(r, 6).value for r in range(1, 5)] == [
        "同步状态",
        "⚠ 已同步 v7；撞单：客户归属 张三（zhangsan）",  # a collided row says whose customer it stays
        "✗ " + PHONE_BAD.message(),
        "✗ " + NEEDS_EVENT.message(),
    ]
    assert [c.value for c in wb["客户事件"]["D"]] == ["同步状态", "✓ 已同步 v7"]

    bad = ws["B3"]
    assert (bad.fill.fill_type, bad.fill.fgColor.rgb) == ("solid", ERROR_RGB)
    assert (bad.comment.author, bad.comment.text) == ("salesync", PHONE_BAD.message())
    collided = ws["B2"]
    assert collided.fill.fgColor.rgb == WARNING_RGB
    assert (collided.comment.author, collided.comment.text) == ("王经理", "老客户")  # the user's note stays
    assert ws["B4"].comment is None and ws["B4"].fill.fill_type is None  # no header: status column only
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == ["C2:C200"]


def test_a_second_annotation_clears_old_marks_but_keeps_the_users(workbook: Path) -> None:
    annotate_workbook(workbook, first_outcome(workbook), expected_sha256=sha256(workbook))
    fixed = first_outcome(workbook)
    fixed.seq = 8
    fixed.findings = Findings([COLLISION])
    fixed.rows = [RowStatus("客户", 2, True), RowStatus("客户", 3, True)]

    annotate_workbook(workbook, fixed, expected_sha256=sha256(workbook))

    ws = load_workbook(workbook)["客户"]
    assert [c.value for c in ws[1]] == [
        "客户姓名*",
        "手机号码*",
        "客户来源*",
        "首次接触日期*",
        "备注",
        "同步状态",
    ]
    assert [ws.cell(r, 6).value for r in range(2, 5)] == [
        "⚠ 已同步 v8；撞单：客户归属 张三（zhangsan）",
        "✓ 已同步 v8",
        None,
    ]
    assert ws["B3"].comment is None and ws["B3"].fill.fill_type is None
    assert ws["B2"].fill.fgColor.rgb == WARNING_RGB
    assert (ws["E3"].fill.fgColor.rgb, ws["E3"].comment.author) == (USER_RGB, "王经理")
    assert ws["A4"].fill.fgColor.rgb == ERROR_RGB  # Excel's 差 style, chosen by the user


def test_annotate_writes_the_stamp_into_the_hidden_sheet(workbook: Path) -> None:
    stamp = Stamp("customers", "1", "3f0c9a", 7, "2026-11-20T10:03:04+08:00")
    annotate_workbook(workbook, first_outcome(workbook), expected_sha256=sha256(workbook), stamp=stamp)

    sheet = load_workbook(workbook)[STAMP_SHEET]
    assert sheet.sheet_state == "hidden"
    assert rows_of(sheet) == stamp.rows()
    assert Stamp.from_rows(rows_of(sheet)) == stamp


def test_the_annotated_workbook_reads_the_same(workbook: Path) -> None:
    def frame(path: Path, sheet: str):
        return fastexcel.read_excel(path).load_sheet_by_name(sheet).to_pandas()

    before = {sheet: frame(workbook, sheet) for sheet in ("客户", "客户事件")}
    annotate_workbook(workbook, first_outcome(workbook), expected_sha256=sha256(workbook))

    for sheet, original in before.items():
        after = frame(workbook, sheet)
        assert list(after.columns) == [*original.columns, "同步状态"]
        assert after[original.columns].equals(original)
    assert os.path.getsize(workbook) > 0
