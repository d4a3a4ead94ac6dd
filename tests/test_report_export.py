"""The report workbook's layout, read back with openpyxl: formats, header, widths, borders, totals,
marks, text kept from running and the print setup — for a narrow and a wide report."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pandas as pd
from openpyxl import load_workbook

from sync.kinds.reports import get_report
from sync.reports.export import MARK_HEADER, report_workbook


def receipts_frame() -> pd.DataFrame:
    spec = get_report("receipts")
    rows = [
        ("P001", dt.date(2026, 11, 3), "一期", "R1", "=HYPERLINK(\"x\")", "S001", "定金", "转账", "王伟", Decimal("50000.5"), None),
        ("P002", dt.date(2026, 11, 4), "一期", "R2", "李强", "S002", "首付款", "刷卡", "李强", Decimal("1000"), None),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=spec.fields)


def test_layout_and_print_setup() -> None:
    spec = get_report("receipts")
    data = report_workbook(
        spec,
        receipts_frame(),
        "项目 一期",
        [None, "金额变了"],
        author="赵敏 & 陈刚",
        made=dt.date(2026, 12, 1),
    )
    book = load_workbook(io.BytesIO(data))
    ws = book[spec.title]
    assert [c.value for c in ws[1]] == [c.header for c in spec.columns] + [MARK_HEADER]
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("1F4E78")
    assert ws["B2"].value == dt.datetime(2026, 11, 3) and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["J2"].value == 50000.5 and ws["J2"].number_format == "#,##0.00"
    assert ws["E2"].data_type == "s" and ws["E2"].quotePrefix  # text, never a formula
    assert ws["A2"].border.bottom.style == "thin"
    assert ws["A3"].fill.fgColor.rgb.endswith("FFC7CE") and ws["L3"].value == "金额变了"
    assert ws["A4"].value == "合计" and ws["J4"].value == 51000.5 and ws["J4"].font.b
    assert ws.column_dimensions["A"].width >= spec.columns[0].width
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:K3"
    assert ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.page_setup.orientation == "landscape"  # eleven columns and the mark: too wide upright
    assert ws.oddFooter.left.text == "制表人：赵敏 && 陈刚"  # the footer's own escape of &
    assert ws.oddFooter.right.text == "制表日期：2026-12-01"
    info = book["说明"]
    assert [info.cell(i, 1).value for i in (1, 3)] == [spec.title, "共 2 行"]


def test_a_wide_report_prints_landscape_and_the_same_rows_give_the_same_bytes() -> None:
    spec = get_report("sales_summary")
    frame = pd.DataFrame([["一期", "1栋", *[1] * 14, Decimal("0.5")]], columns=spec.fields)
    made = dt.date(2026, 12, 1)
    data = report_workbook(spec, frame, "x", author="赵敏", made=made)
    ws = load_workbook(io.BytesIO(data))[spec.title]
    assert ws.page_setup.orientation == "landscape"
    assert ws["Q2"].number_format == "0.00%" and ws["Q2"].value == 0.5
    assert report_workbook(spec, frame, "x", author="赵敏", made=made) == data
    narrow = get_report("dormant")
    empty = pd.DataFrame(columns=narrow.fields)
    ws = load_workbook(io.BytesIO(report_workbook(narrow, empty, "x", made=made)))[narrow.title]
    assert ws.page_setup.orientation != "landscape" and ws.oddFooter.left.text == "制表人：salesync"
    assert [c.value for c in ws[1]] == [c.header for c in narrow.columns] and ws.max_row == 1
