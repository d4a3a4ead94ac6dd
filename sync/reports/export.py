"""A report as a formatted Excel workbook: Chinese headers, number and date formats, a totals row,
a frozen header and filters. Deterministic for the same rows."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from schema.spec import ColType, Column
from sync.kinds.reports import ReportSpec
from sync.xlsx.excel_text import safe_text
from sync.xlsx.xml_chars import clean

HEADER_FILL = PatternFill("solid", fgColor="FF1F4E78")
TOTAL_FILL = PatternFill("solid", fgColor="FFDDEBF7")
THIN = Side(style="thin", color="FFB4C6E7")


def number_format(col: Column) -> str | None:
    if col.type is ColType.DECIMAL:
        if col.field in ("sell_through",):
            return "0.00%"
        places = col.decimals if col.decimals is not None else 2
        return "#,##0." + "0" * places if places else "#,##0"
    if col.type is ColType.INTEGER:
        return "#,##0"
    if col.type is ColType.DATE:
        return "yyyy-mm-dd"
    if col.type is ColType.DATETIME:
        return "yyyy-mm-dd hh:mm"
    return None


def _cell_value(col: Column, value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if col.type is ColType.YES_NO:
        return "是" if bool(value) else "否"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return clean(value)  # what Excel cannot hold (sync.xlsx.xml_chars)


def column_total(series: pd.Series) -> Decimal:
    """The exact sum of a money, area or count column (blanks are zero)."""
    return sum((Decimal(str(v)) for v in series if v is not None and v is not pd.NA and v == v), Decimal(0))


MARK_HEADER = "较上次运行的变化"
MARK_FILL = PatternFill("solid", fgColor="FFFFC7CE")


def report_workbook(
    spec: ReportSpec, frame: pd.DataFrame, subtitle: str, marks: list[str | None] | None = None
) -> bytes:
    """The report as a workbook; with ``marks`` (one per row, None for an unchanged row) a last
    column says why a row differs from the earlier run of the same period (a late entry)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = spec.title
    ws.append([c.header for c in spec.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in frame[spec.fields].itertuples(index=False, name=None):
        ws.append([safe_text(_cell_value(c, v), ws) for c, v in zip(spec.columns, values, strict=True)])
    last = ws.max_row
    totals = spec.totals
    if totals:
        row = ["合计", *[None] * (len(spec.columns) - 1)]
        ws.append(row)
        total_row = ws.max_row
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(total_row, i)
            cell.font = Font(bold=True)
            cell.fill = TOTAL_FILL
            if col.field in totals and i > 1:  # a value, not a formula: readers see the figure
                cell.value = float(column_total(frame[col.field]))
    for i, col in enumerate(spec.columns, start=1):
        fmt = number_format(col)
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(col.width, len(col.header) * 2 + 2)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, max_row=ws.max_row, min_col=i, max_col=i):
                cell.number_format = fmt
        for (cell,) in ws.iter_rows(min_row=1, max_row=ws.max_row, min_col=i, max_col=i):
            cell.border = Border(bottom=THIN)
    if marks and any(marks):
        column = len(spec.columns) + 1
        ws.cell(1, column, MARK_HEADER).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(column)].width = 60
        for i, mark in enumerate(marks, start=2):
            if mark:
                ws.cell(i, column, mark).fill = MARK_FILL
                for j in range(1, column):
                    ws.cell(i, j).fill = MARK_FILL
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(spec.columns))}{max(last, 1)}"
    info = wb.create_sheet("说明")
    info.append([spec.title])
    info.append([safe_text(subtitle, info)])
    info.append([f"共 {len(frame)} 行"])
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 60
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
