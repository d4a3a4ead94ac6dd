"""A change set as an Excel workbook: what a signer reads on the page, to keep, forward or print.

Its first sheet is the summary (rooms added, removed and re-priced, the change of the total value,
the live deals touched, who submitted it and who signed); then the fields changed (old → new) and,
per sheet of the 项目资料, the rows added and the rows removed with all their cells. Written in
openpyxl's write-only mode, so a change set of tens of thousands of rows streams out; every cell of
the operator's text goes through ``safe_text`` (nothing is ever a formula); each sheet prints with
its header repeated and fitted to the page width.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models.audit import ChangeItem
from sync.domain.changeset_summary import summarize
from sync.domain.signing import review
from sync.kinds import get_kind
from sync.xlsx.excel_text import safe_text

STATUS_WORDS = {"pending": "待签", "applied": "已生效", "rejected": "已驳回", "superseded": "已作废"}
_BOLD = Font(bold=True)
_SHEET_NAME_BAD = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _sheet(wb: Workbook, title: str, widths: Sequence[int], header: Sequence[str]) -> WriteOnlyWorksheet:
    # a write-only sheet takes its dimensions and print setup as instance attributes (untyped)
    ws: Any = wb.create_sheet(title.translate(_SHEET_NAME_BAD)[:31])
    for i, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = "A2"
    cells = []
    for text in header:
        cell = WriteOnlyCell(ws, value=safe_text(text, ws))
        cell.font = _BOLD
        cells.append(cell)
    ws.append(cells)
    sheet: WriteOnlyWorksheet = ws
    return sheet


def _put(ws: WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    ws.append([safe_text(v, ws) for v in values])


def _sheet_of(item: ChangeItem) -> str:
    return item.sheet or get_kind("project_master").sheet(item.entity).name


def change_set_workbook(session: Session, change_set_id: int) -> bytes:
    """The change set's summary, fields changed and rows added and removed, as ``.xlsx`` bytes
    (``signing.SigningRefused`` when there is no such change set)."""
    r = review(session, change_set_id)
    cs = r.change_set
    kind = get_kind("project_master")
    summary = summarize(session, r.items)
    wb = Workbook(write_only=True)

    facts = _sheet(wb, "摘要", (18, 60), ("项目", "内容"))
    signed = "；".join(
        f"{s.account.display_name}（{s.account.username}）{s.meaning} "
        f"{s.signed_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
        for s in cs.signatures
    )
    for label, value in (
        ("变更单", f"#{cs.id}（{'初始资料' if cs.is_initial else '变更'}）"),
        ("项目", "、".join(cs.projects)),
        ("状态", STATUS_WORDS.get(cs.status, cs.status)),
        ("提交人", f"{r.submitter.display_name}（{r.submitter.username}）"),
        ("提交时间", f"{cs.created_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}（北京时间）"),
        ("新增房间", summary.rooms_added),
        ("删除房间", summary.rooms_removed),
        ("调价房间", summary.rooms_repriced),
        ("总价变化", float(summary.value_change)),
        ("涉及在途认购", "、".join(summary.deals_touched) or "无"),
        ("行数", f"新增 {summary.rows_added}，修改 {summary.rows_changed}，删除 {summary.rows_removed}"),
        ("签字", signed or "尚无签字"),
    ):
        _put(facts, (label, value))

    changed = [i for i in r.items if i.op == "change"]
    if changed:
        ws = _sheet(wb, "修改的字段", (14, 24, 16, 24, 24), ("工作表", "主键", "字段", "原值", "新值"))
        for i in changed:
            header = kind.sheet(i.entity).header(i.field) if i.field else ""
            _put(ws, (_sheet_of(i), i.key, header, i.old or "", i.new or ""))

    for op, word in (("add", "新增"), ("remove", "删除")):
        groups: dict[str, list[dict[str, Any]]] = {}
        for i in r.items:
            if i.op == op:
                groups.setdefault(_sheet_of(i), []).append(
                    json.loads((i.new if op == "add" else i.old) or "{}")
                )
        for name, rows in groups.items():
            headers = list(rows[0])
            ws = _sheet(wb, f"{word}-{name}", [16] * len(headers), headers)
            for values in rows:
                _put(ws, (values.get(h) or "" for h in headers))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
