"""The work log as an Excel workbook for a period: every entry in words, and the chain's verification.

Apart from :mod:`sync.domain.worklog` because it is the one part of the log that writes a workbook
(openpyxl, and the formula-safe text of :mod:`sync.xlsx.excel_text`): every command and page that
only appends to or verifies the log starts without them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import Account, WorkLogEntry
from sync.domain.worklog import verify
from sync.xlsx.excel_text import safe_text

OPS_ZH = {
    "add": "新增",
    "change": "修改",
    "remove": "删除",
    "submit": "提交变更单",
    "supersede": "作废变更单",
    "sign": "签字批准",
    "reject": "签字驳回",
    "create": "新建账号",
    "disable": "停用账号",
}
EXPORT_HEADERS = (
    "序号",
    "时间（北京时间）",
    "操作人",
    "姓名",
    "对象",
    "键",
    "操作",
    "字段",
    "原值",
    "新值",
    "说明",
    "工作簿版本",
    "变更单",
    "签字人",
    "哈希",
)


def entries_between(session: Session, start: dt.date | None, end: dt.date | None) -> list[WorkLogEntry]:
    """Entries whose time falls on [start, end] as Asia/Shanghai dates."""
    stmt = select(WorkLogEntry).order_by(WorkLogEntry.id)
    if start is not None:
        stmt = stmt.where(WorkLogEntry.at >= dt.datetime.combine(start, dt.time(), tzinfo=SHANGHAI))
    if end is not None:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
        stmt = stmt.where(WorkLogEntry.at < after)
    return list(session.scalars(stmt))


def export_xlsx(session: Session, start: dt.date | None, end: dt.date | None, path: Path) -> int:
    """Write the period's entries to an Excel workbook (with the chain's verification); returns the count."""
    from openpyxl import Workbook as ExcelWorkbook
    from openpyxl.styles import Font

    names = {a.id: (a.username, a.display_name) for a in session.scalars(select(Account))}
    rows = entries_between(session, start, end)
    book = ExcelWorkbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工作日志"
    sheet.append(EXPORT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for e in rows:
        username, name = names.get(e.account_id or -1, (None, None))
        values = [
            e.seq,
            e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            username,
            name,
            e.entity,
            e.key,
            OPS_ZH.get(e.op, e.op),
            e.field,
            e.old,
            e.new,
            None if e.changes == "{}" else e.changes,
            e.version_id,
            e.change_set_id,
            e.signers,
            e.hash,
        ]
        sheet.append([safe_text(v, sheet) for v in values])  # old and new values are users' text
    sheet.freeze_panes = "A2"
    check = book.create_sheet("校验")
    report = verify(session)
    period = f"{start or '最早'} 至 {end or '最新'}"
    check.append(["期间", period])
    check.append(["导出条数", len(rows)])
    check.append(["导出时间（北京时间）", now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")])
    check.append(["全链校验", report.message()])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return len(rows)
