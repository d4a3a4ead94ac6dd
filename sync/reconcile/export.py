"""The manual workbook, returned with its differing cells highlighted and commented.

Everything else in the controller's file stays as it was; a ``对账结果`` sheet is added (or
replaced) listing every mismatch and the totals.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import object_session

from schema.base import SHANGHAI
from schema.models import Account, ReconciliationRun
from sync.kinds.reports import ReportSpec, get_report
from sync.reconcile.compare import Difference
from sync.xlsx.reader import fold_header

RESULT_SHEET = "对账结果"
CELL_FILL = PatternFill("solid", fgColor="FFFFC7CE")  # differing cell
ROW_FILL = PatternFill("solid", fgColor="FFFFEB9C")  # row only in the manual report
AUTHOR = "salesync"


def _headers(ws: Worksheet) -> dict[str, int]:
    out: dict[str, int] = {}
    for cell in next(ws.iter_rows(min_row=1, max_row=1), ()):
        if isinstance(cell.value, str) and cell.value.strip():
            out.setdefault(fold_header(cell.value), cell.column)
    return out


def report_sheet(wb: Workbook, report: ReportSpec) -> Worksheet | None:
    """The sheet holding the report: by its title, else the first whose headers hold the key."""
    if report.title in wb.sheetnames:
        return wb[report.title]
    keys = {fold_header(report.header(k)) for k in report.key}
    for ws in wb.worksheets:
        if ws.title != RESULT_SHEET and keys <= set(_headers(ws)):
            return ws
    return None


def mark_workbook(data: bytes, run: ReconciliationRun) -> bytes:
    report = get_report(run.report_id)
    wb = load_workbook(io.BytesIO(data))
    ws = report_sheet(wb, report)
    if ws is not None:
        columns = _headers(ws)
        key_columns = [columns[h] for k in report.key if (h := fold_header(report.header(k))) in columns]
        for item in run.items:
            if item.row is None:
                continue
            if item.difference == "cell" and item.header and fold_header(item.header) in columns:
                cell = ws.cell(item.row, columns[fold_header(item.header)])
                cell.fill = CELL_FILL
                note = f"系统为：{item.system if item.system is not None else '（空）'}"
                if item.likely:
                    note += "（疑似录入延迟）"
                cell.comment = Comment(note, AUTHOR)
            elif item.difference in ("only-manual", "duplicate-key"):
                for column in key_columns:
                    cell = ws.cell(item.row, column)
                    cell.fill = ROW_FILL
                    text = (
                        "系统中没有这一行" if item.difference == "only-manual" else "此行重复，只核对第一行"
                    )
                    if item.likely:
                        text += "（系统在期间外相近日期有此行，疑似录入延迟）"
                    cell.comment = Comment(text, AUTHOR)
    _result_sheet(wb, run, report)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _explainers(run: ReconciliationRun) -> dict[int, str]:
    """Who explained the run's mismatches, by account id (one query)."""
    ids = {i.explained_by_id for i in run.items if i.explained_by_id is not None}
    session = object_session(run)
    if not ids or session is None:
        return {}
    found = session.execute(
        select(Account.id, Account.display_name, Account.username).where(Account.id.in_(ids))
    )
    return {i: f"{name}（{username}）" for i, name, username in found}


def _beijing(at: dt.datetime | None) -> str | None:
    """An instant as the controllers read it: Beijing time, to the minute."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at is not None else None


def _result_sheet(wb: Workbook, run: ReconciliationRun, report: ReportSpec) -> None:
    if RESULT_SHEET in wb.sheetnames:
        del wb[RESULT_SHEET]
    ws = wb.create_sheet(RESULT_SHEET)
    ws.append([f"{report.title} 对账：项目 {run.project_code}，{run.period_from} 至 {run.period_to}"])
    ws.append(
        [
            f"手工 {run.manual_rows} 行，系统 {run.system_rows} 行，一致匹配 {run.matched_rows} 行，差异 {run.mismatch_count} 项"
        ]
    )
    ws.append([])
    header = [
        "编号",
        "类型",
        "键",
        "行号",
        "列",
        "手工",
        "系统",
        "可能原因",
        "说明",
        "备注",
        "说明人",
        "说明时间",
    ]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    explainers = _explainers(run)
    for item in run.items:
        ws.append(
            [
                item.id,
                Difference(item.difference).label,
                item.key,
                item.row,
                item.header,
                item.manual,
                item.system,
                "录入延迟" if item.likely == "date-lag" else None,
                item.explanation,
                item.note,
                explainers.get(item.explained_by_id) if item.explained_by_id is not None else None,
                _beijing(item.explained_at),
            ]
        )
    ws.append([])
    ws.append(["合计", "列", "手工", "系统", "差额"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for total in run.totals:
        ws.append(["", total["header"], total["manual"], total["system"], total["difference"]])
    for column, width in zip("ABCDEFGHIJKL", (8, 14, 30, 8, 14, 18, 18, 12, 10, 24, 12, 17), strict=True):
        ws.column_dimensions[column].width = width
