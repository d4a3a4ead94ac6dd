"""A report as a formatted Excel workbook: Chinese headers, number and date formats, a totals row,
a frozen header, filters and the print setup (the header row repeated on every page, fit to the
page's width, landscape when wide, 制表人 and the date in the footer). Deterministic for the same
rows and the same day.

The workbook is written row by row with xlsxwriter in constant-memory mode: each format is made once
per column (plain, marked, text kept from running as a formula), never per cell, so a report of
100k rows is written at the writer's own speed and never held in memory as cells. The result goes
to a file object (:func:`write_report`) that the portal streams, or to bytes (:func:`report_workbook`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from schema.base import SHANGHAI
from schema.spec import ColType, Column
from sync.kinds.reports import ReportSpec
from sync.xlsx.excel_text import is_risky
from sync.xlsx.xml_chars import clean

HEADER_FILL = "#1F4E78"
TOTAL_FILL = "#DDEBF7"
THIN = "#B4C6E7"
MARK_HEADER = "较上次运行的变化"
MARK_FILL = "#FFC7CE"
#: a sheet wider than this (in Excel's character widths; A4 upright holds about 90) prints landscape
WIDE = 100


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
    """A frame value as the cell holds it: blanks None, money a float, an instant its wall time."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
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


def footer(author: str | None, made: dt.date) -> str:
    """The printed footer: 制表人 on the left, the page in the middle, the day made on the right
    (``&`` in a name doubled: it starts a footer code)."""
    who = (author or "salesync").replace("&", "&&")
    return f"&L制表人：{who}&C第 &P 页，共 &N 页&R制表日期：{made.isoformat()}"


@dataclass(frozen=True)
class _Styles:
    """One column's formats, made once for the whole workbook."""

    plain: Format
    text: Format  # risky text: a string cell with the quote prefix (never a formula)
    marked: Format
    marked_text: Format


def _styles(book: xlsxwriter.Workbook, col: Column) -> _Styles:
    base: dict[str, Any] = {"bottom": 1, "bottom_color": THIN}
    fmt = number_format(col)
    if fmt:
        base["num_format"] = fmt
    mark = {**base, "bg_color": MARK_FILL, "pattern": 1}
    return _Styles(
        book.add_format(base),
        book.add_format({**base, "quote_prefix": True}),
        book.add_format(mark),
        book.add_format({**mark, "quote_prefix": True}),
    )


Writer = Callable[[Worksheet, int, int, Any, _Styles, bool], None]


def _writer(col: Column) -> Writer:
    """The one function that writes a column's cells, chosen once per column by its type."""

    def number(ws: Worksheet, r: int, c: int, value: Any, s: _Styles, marked: bool) -> None:
        f = s.marked if marked else s.plain
        if value is None or value is pd.NA or value != value:
            ws.write_blank(r, c, None, f)
        else:
            ws.write_number(r, c, float(value), f)

    def when(ws: Worksheet, r: int, c: int, value: Any, s: _Styles, marked: bool) -> None:
        f = s.marked if marked else s.plain
        if (
            value is None
            or value is pd.NaT
            or value is pd.NA
            or (isinstance(value, float) and value != value)
        ):
            ws.write_blank(r, c, None, f)
            return
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if not isinstance(value, dt.date):
            text(ws, r, c, value, s, marked)
            return
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        ws.write_datetime(r, c, value, f)

    def text(ws: Worksheet, r: int, c: int, value: Any, s: _Styles, marked: bool) -> None:
        value = _cell_value(col, value)
        if value is None:
            ws.write_blank(r, c, None, s.marked if marked else s.plain)
        elif isinstance(value, str):
            risky = is_risky(value)
            f = (s.marked_text if risky else s.marked) if marked else (s.text if risky else s.plain)
            ws.write_string(r, c, value, f)
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value, s.marked if marked else s.plain)
        elif isinstance(value, int | float):
            ws.write_number(r, c, value, s.marked if marked else s.plain)
        elif isinstance(value, dt.date):
            ws.write_datetime(r, c, value, s.marked if marked else s.plain)
        else:
            ws.write_string(r, c, str(value), s.marked if marked else s.plain)

    if col.type in (ColType.DECIMAL, ColType.INTEGER):
        return number
    if col.type in (ColType.DATE, ColType.DATETIME):
        return when
    return text


def write_report(
    target: IO[bytes] | str,
    spec: ReportSpec,
    frame: pd.DataFrame,
    subtitle: str,
    marks: list[str | None] | None = None,
    *,
    author: str | None = None,
    made: dt.date | None = None,
) -> None:
    """Write the report to ``target`` (a path or a binary file object); with ``marks`` (one per
    row, None for an unchanged row) a last column says why a row differs from the earlier run of the
    same period (a late entry). ``author`` is the 制表人 of the printed footer, ``made`` its date
    (today in Shanghai by default)."""
    made = made or dt.datetime.now(SHANGHAI).date()
    book = xlsxwriter.Workbook(
        target,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties(
        {"title": spec.title, "author": author or "salesync", "created": dt.datetime(2000, 1, 1)}
    )
    ws = book.add_worksheet(spec.title[:31])
    columns = spec.columns
    marked_rows = bool(marks) and any(marks or [])
    widths = [max(c.width, len(c.header) * 2 + 2) for c in columns]
    width = sum(widths) + (60 if marked_rows else 0)
    header = book.add_format(
        {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": HEADER_FILL,
            "pattern": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "bottom": 1,
            "bottom_color": THIN,
        }
    )
    styles = [_styles(book, c) for c in columns]
    writers = [_writer(c) for c in columns]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    mark_text = book.add_format({"bg_color": MARK_FILL, "pattern": 1})
    if marked_rows:
        ws.set_column(len(columns), len(columns), 60)
    for i, col in enumerate(columns):
        ws.write_string(0, i, col.header, header)
    if marked_rows:
        ws.write_string(0, len(columns), MARK_HEADER, book.add_format({"bold": True}))
    data = [frame[f].tolist() for f in spec.fields]
    count = len(frame)
    row_marks = marks if marked_rows and marks is not None else None
    for n in range(count):
        r = n + 1
        mark = row_marks[n] if row_marks is not None and n < len(row_marks) else None
        flag = mark is not None and mark != ""
        for c, (write, values, style) in enumerate(zip(writers, data, styles, strict=True)):
            write(ws, r, c, values[n], style, flag)
        if flag:
            ws.write_string(r, len(columns), str(mark), mark_text)
    last = count  # zero-based index of the last data row
    if spec.totals:
        total_row = count + 1
        for i, col in enumerate(columns):
            fmt: dict[str, Any] = {"bold": True, "bg_color": TOTAL_FILL, "pattern": 1, "bottom": 1}
            fmt["bottom_color"] = THIN
            if number_format(col):
                fmt["num_format"] = number_format(col)
            f = book.add_format(fmt)
            if i == 0:
                ws.write_string(total_row, 0, "合计", f)
            elif col.field in spec.totals:  # a value, not a formula: readers see the figure
                ws.write_number(total_row, i, float(column_total(frame[col.field])), f)
            else:
                ws.write_blank(total_row, i, None, f)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(last, 0), len(columns) - 1)
    _print_setup(ws, width, author, made)
    info = book.add_worksheet("说明")
    info.set_column(0, 0, 60)
    info.write_string(0, 0, spec.title, book.add_format({"bold": True, "font_size": 14}))
    sub = clean(subtitle)
    info.write_string(1, 0, sub, book.add_format({"quote_prefix": True}) if is_risky(sub) else None)
    info.write_string(2, 0, f"共 {count} 行")
    info.write_string(3, 0, f"制表人：{author or 'salesync'}，制表日期：{made.isoformat()}")
    book.close()


def _print_setup(ws: Worksheet, width: int, author: str | None, made: dt.date) -> None:
    """The sheet as it prints: A4, the header row on every page, the whole width on one page
    (as many pages down as it takes), landscape when wide, the footer naming who made it and when."""
    ws.set_paper(9)
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 0)
    if width > WIDE:
        ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer(footer(author, made))


def report_workbook(
    spec: ReportSpec,
    frame: pd.DataFrame,
    subtitle: str,
    marks: list[str | None] | None = None,
    *,
    author: str | None = None,
    made: dt.date | None = None,
) -> bytes:
    """The report as the bytes of a workbook (see :func:`write_report`)."""
    out = io.BytesIO()
    write_report(out, spec, frame, subtitle, marks, author=author, made=made)
    return out.getvalue()
