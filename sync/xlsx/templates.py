"""The Excel templates, generated from the workbook-kind spec: the spec is their single source of truth.

Each template has one sheet per spec sheet (canonical headers in row 1, dropdowns for closed lists,
input hints, column number formats), a ``填写说明`` sheet derived from the spec, and the hidden stamp
sheet naming the template id and version. The bytes are deterministic: the same spec gives the same
file on every run and machine, so the checked-in ``templates_xlsx/`` can be compared with the spec.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from schema.spec import ColType, Column, Sheet, WorkbookKind
from sync.kinds import all_kinds
from sync.xlsx.stamp import STAMP_SHEET, Stamp

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates_xlsx"
GUIDE_SHEET = "填写说明"
LAST_ROW = 1_048_576
FIXED_TIME = dt.datetime(2026, 1, 1)  # docProps created/modified, so the bytes never depend on the clock
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

TYPE_WORDS = {
    ColType.TEXT: "文本",
    ColType.CODE: "编码",
    ColType.PHONE: "手机号码",
    ColType.ANY_PHONE: "电话号码",
    ColType.ID_NUMBER: "证件号码",
    ColType.DATE: "日期",
    ColType.DATETIME: "日期时间",
    ColType.DECIMAL: "数字",
    ColType.INTEGER: "整数",
    ColType.CHOICE: "下拉选择",
    ColType.YES_NO: "是/否",
}
TEXT_TYPES = {ColType.CODE, ColType.PHONE, ColType.ANY_PHONE, ColType.ID_NUMBER}

HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
REQUIRED_FONT = Font(bold=True, color="C00000")
OPTIONAL_FONT = Font(bold=True)


def choices(column: Column) -> tuple[str, ...]:
    """The closed list a column's dropdown offers (empty for free input)."""
    if column.type is ColType.YES_NO:
        return ("是", "否")
    return column.choices if column.type is ColType.CHOICE else ()


def number_format(column: Column) -> str | None:
    """The Excel number format of a column's data cells; ``@`` keeps long digit strings as text."""
    if column.type in TEXT_TYPES:
        return "@"
    if column.type is ColType.DATE:
        return "yyyy-mm-dd"
    if column.type is ColType.DATETIME:
        return "yyyy-mm-dd hh:mm"
    if column.type is ColType.INTEGER:
        return "0"
    if column.type is ColType.DECIMAL:
        digits = min(2 if column.decimals is None else column.decimals, 4)
        return "0." + "0" * digits if digits else "0"
    return None


def type_words(column: Column) -> str:
    words = TYPE_WORDS[column.type]
    if column.type is ColType.DECIMAL and column.decimals is not None:
        words += f"（最多 {column.decimals} 位小数）"
    return words


def notes(column: Column) -> str:
    """The column's hint and its limits, as the clerk reads them."""
    parts = [column.hint] if column.hint else []
    if column.positive:
        parts.append("须大于 0")
    elif column.minimum is not None:
        parts.append(f"不小于 {column.minimum:g}")
    return "；".join(parts)


def prompt(column: Column) -> str:
    """The input message shown when a cell of the column is selected (Excel allows 255 characters)."""
    text = ("必填。" if column.required else "") + notes(column)
    if choices(column):
        text += ("。" if notes(column) else "") + "可选：" + "、".join(choices(column))
    text = text or type_words(column)
    return text if len(text) <= 255 else text[:254] + "…"


def _validation(column: Column, letter: str) -> DataValidation:
    listed = choices(column)
    formula = '"' + ",".join(listed) + '"'
    if any("," in c or '"' in c for c in listed) or len(formula) > 257:
        raise ValueError(f"column {column.header}: choices do not fit an Excel list")
    dv = DataValidation(
        type="list" if listed else None,
        formula1=formula if listed else None,
        allow_blank=True,
        showInputMessage=True,
        promptTitle=column.header[:32],
        prompt=prompt(column),
        showErrorMessage=bool(listed),
        errorTitle="输入有误" if listed else None,
        error=("请从下拉列表中选择：" + "、".join(listed))[:255] if listed else None,
    )
    dv.add(f"{letter}2:{letter}{LAST_ROW}")
    return dv


def _data_sheet(ws: Worksheet, sheet: Sheet) -> None:
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = REQUIRED_FONT if column.required else OPTIONAL_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width
        fmt = number_format(column)
        if fmt:
            dimension.number_format = fmt
        ws.add_data_validation(_validation(column, letter))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}1"


def _guide_sheet(ws: Worksheet, kind: WorkbookKind) -> None:
    ws.append([f"{kind.title} 填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([kind.description])
    ws.append([f"模板 {kind.id}，第 {kind.version} 版。深红色列名为必填列；有下拉箭头的列请从列表中选择。"])
    ws.append(["请勿修改工作表名称和列名，也不要删除隐藏的工作表；可以在右侧增加自己的列。"])
    for sheet in kind.sheets:
        if sheet.description or not sheet.required:
            optional = "" if sheet.required else "（可不填）"
            ws.append([f"{sheet.name}{optional}：{sheet.description}".rstrip("：")])
    ws.append([])
    ws.append(["工作表", "列名", "必填", "类型", "可选值", "说明"])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = OPTIONAL_FONT
        cell.fill = HEADER_FILL
    for sheet in kind.sheets:
        for column in sheet.columns:
            required = "是" if column.required else "否"
            listed = "、".join(choices(column))
            ws.append([sheet.name, column.header, required, type_words(column), listed, notes(column)])
    for letter, width in zip("ABCDEF", (14, 16, 6, 20, 36, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{header_row + 1}"


def _stamp_sheet(ws: Worksheet, stamp: Stamp) -> None:
    ws.sheet_state = "hidden"
    for key, value in stamp.rows():
        ws.append([key, value if isinstance(value, int) else str(value)])


def build_template(kind: WorkbookKind) -> bytes:
    """The kind's .xlsx template; the same spec always gives the same bytes."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for sheet in kind.sheets:
        _data_sheet(wb.create_sheet(sheet.name), sheet)
    _guide_sheet(wb.create_sheet(GUIDE_SHEET), kind)
    _stamp_sheet(wb.create_sheet(STAMP_SHEET), Stamp(template_id=kind.id, template_version=kind.version))
    wb.active = 0
    wb.properties.creator = "salesync"
    wb.properties.title = kind.title
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()  # wb.save() sets modified=now
    return _normalised_zip(buffer.getvalue())


def _normalised_zip(data: bytes) -> bytes:
    """Rewrite the archive with fixed entry times and attributes, content types first."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = sorted(src.namelist(), key=lambda name: name != "[Content_Types].xml")
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, src.read(name), compresslevel=6)
    return out.getvalue()


def template_bytes(kind: WorkbookKind) -> bytes:
    """The template the system ships for ``kind``, generated from the spec (never read from disk)."""
    return build_template(kind)


def write_templates(out_dir: Path, kinds: Iterable[WorkbookKind] | None = None) -> list[Path]:
    """Write every kind's template into ``out_dir``; files already up to date are left untouched."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in all_kinds().values() if kinds is None else kinds:
        path = out_dir / kind.template_name
        data = build_template(kind)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        paths.append(path)
    return paths
