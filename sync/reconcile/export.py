"""The manual workbook, returned with its differing cells highlighted and commented.

Everything else in the controller's file stays as it was, byte for byte (the marks are edits of
the report sheet's part, :mod:`sync.xlsx.patch`); a ``对账结果`` sheet is added (or replaced)
listing every mismatch and the totals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from openpyxl.styles import Font
from openpyxl.workbook.workbook import Workbook
from sqlalchemy import select
from sqlalchemy.orm import object_session

from schema.base import SHANGHAI
from schema.models import Account, ReconciliationRun
from schema.spec import ColType
from sync.kinds.reports import ReportSpec, get_report
from sync.reconcile.compare import Difference
from sync.xlsx.excel_text import safe_text
from sync.xlsx.patch.book import Book, SheetInfo
from sync.xlsx.patch.sheet import Cell, Header, SheetEdit
from sync.xlsx.patch.transplant import add_openpyxl_sheet
from sync.xlsx.reader import fold_header
from sync.xlsx.xml_chars import clean_row

RESULT_SHEET = "对账结果"
CELL_RGB = "FFFFC7CE"  # differing cell
ROW_RGB = "FFFFEB9C"  # row only in the manual report
AUTHOR = "salesync"


def _headers(header: Header) -> dict[str, int]:
    out: dict[str, int] = {}
    for column, (value, _style) in sorted(header.items()):
        if value.strip():
            out.setdefault(fold_header(value), column)
    return out


def report_sheet(book: Book, report: ReportSpec) -> SheetInfo | None:
    """The sheet holding the report: by its title, else the first whose headers hold the key."""
    by_title = book.sheet(report.title)
    if by_title is not None:
        return by_title
    keys = {fold_header(report.header(k)) for k in report.key}
    for sheet in book.sheets:
        if sheet.name != RESULT_SHEET and keys <= set(_headers(book.header(sheet))):
            return sheet
    return None


def _marks(run: ReconciliationRun, report: ReportSpec, header: Header) -> dict[Cell, tuple[str, str]]:
    """Each cell to mark → (fill colour, note), as the differences name them."""
    columns = _headers(header)
    key_columns = [columns[h] for k in report.key if (h := fold_header(report.header(k))) in columns]
    marks: dict[Cell, tuple[str, str]] = {}
    for item in run.items:
        if item.row is None:
            continue
        if item.difference == "cell" and item.header and fold_header(item.header) in columns:
            note = f"系统为：{item.system if item.system is not None else '（空）'}"
            if item.likely:
                note += "（疑似录入延迟）"
            marks[(item.row, columns[fold_header(item.header)])] = (CELL_RGB, note)
        elif item.difference in ("only-manual", "duplicate-key"):
            text = "系统中没有这一行" if item.difference == "only-manual" else "此行重复，只核对第一行"
            if item.likely:
                text += "（系统在期间外相近日期有此行，疑似录入延迟）"
            for column in key_columns:
                marks[(item.row, column)] = (ROW_RGB, text)
    return marks


def mark_workbook(data: bytes, run: ReconciliationRun) -> bytes:
    """The manual workbook with the differing cells filled and noted and the results sheet added.

    Only the report sheet's part (the cells marked), its notes, the styles and the parts that list
    the results sheet are written; every other part of the controller's file is copied as it is.
    """
    report = get_report(run.report_id)
    book = Book(data)
    sheets: dict[str, bytes] = {}
    sheet = report_sheet(book, report)
    if sheet is not None:
        styles = book.styles
        marks: dict[Cell, tuple[str, str]] = {}

        def decide(header: Header) -> SheetEdit:
            marks.update(_marks(run, report, header))
            return SheetEdit(
                create=set(marks),
                restyle=lambda cell, xf: styles.filled(xf, marks[cell][0]) if cell in marks else xf,
                restyled=frozenset(),  # no other cell changes: only the marked rows are looked at
            )

        edited = book.edit_sheet(sheet, decide)
        notes = {cell: note for cell, (_rgb, note) in marks.items()}
        book.set_notes(sheet, edited, AUTHOR, notes, remove_own=False, replace=True)
        if edited.splice:
            sheets[sheet.part] = edited.content()
    results = Workbook()
    _result_sheet(results, run, report)
    add_openpyxl_sheet(book, results, RESULT_SHEET)
    return book.save(sheets)


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


def _figure(report: ReportSpec, total: dict[str, Any], side: str) -> int | float | str:
    """A total as a number the controller can sum: a count whole (41, not 41.00), an amount as it is."""
    try:
        value = Decimal(str(total[side]))
    except (KeyError, ArithmeticError, ValueError):
        return str(total.get(side, ""))
    try:
        integer = report.column(str(total.get("field", ""))).type is ColType.INTEGER
    except KeyError:
        integer = False
    return int(value) if integer and value == value.to_integral_value() else float(value)


def _whole_row(cells: list[list[str | None]] | None) -> str | None:
    """A row on one side only, whole, as one cell: ``楼栋：1；房号：101；…``."""
    if not cells:
        return None
    return "；".join(f"{header}：{value if value is not None else ''}" for header, value in cells)


def _result_sheet(wb: Workbook, run: ReconciliationRun, report: ReportSpec) -> None:
    if RESULT_SHEET in wb.sheetnames:
        del wb[RESULT_SHEET]
    ws = wb.create_sheet(RESULT_SHEET)
    ws.append(
        [safe_text(f"{report.title} 对账：项目 {run.project_code}，{run.period_from} 至 {run.period_to}", ws)]
    )
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
        "整行内容",
    ]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    explainers = _explainers(run)
    for item in run.items:
        values = [
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
            _whole_row(item.cells),
        ]
        ws.append([safe_text(v, ws) for v in clean_row(values)])  # keys and cells are the controller's text
    ws.append([])
    ws.append(["合计", "列", "手工", "系统", "差额"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for total in run.totals:
        figures = [_figure(report, total, side) for side in ("manual", "system", "difference")]
        values = ["", total["header"], *figures]
        ws.append([safe_text(v, ws) for v in clean_row(values)])
    for column, width in zip(
        "ABCDEFGHIJKLM", (8, 14, 30, 8, 14, 18, 18, 12, 10, 24, 12, 17, 60), strict=True
    ):
        ws.column_dimensions[column].width = width
