"""Build real workbooks for tests the way a user would: from the shipped template, rows typed in."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from schema.base import SHANGHAI
from sync.kinds import get_kind
from sync.xlsx.templates import template_bytes

Rows = Mapping[str, Iterable[Mapping[str, Any]]]


def fill_template(kind_id: str, rows: Rows, path: Path) -> Path:
    """Write ``rows`` (sheet name → dicts by Chinese header) into a copy of the kind's template."""
    kind = get_kind(kind_id)
    wb = load_workbook(io.BytesIO(template_bytes(kind)))
    for sheet_name, sheet_rows in rows.items():
        ws = wb[sheet_name]
        headers = [c.value for c in ws[1]]
        for r, row in enumerate(sheet_rows, start=2):
            for header, value in row.items():
                ws.cell(row=r, column=headers.index(header) + 1, value=value)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def edit(path: Path, sheet: str, row: int, header: str, value: Any) -> None:
    """Change one cell of a saved workbook, as a user would in Excel."""
    wb = load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    ws.cell(row=row, column=headers.index(header) + 1, value=value)
    wb.save(path)


def master_rows(project: str = "SZ-HW01", *, rooms_per_building: int = 4) -> dict[str, list[dict[str, Any]]]:
    """A small, valid project master: one project, two buildings, rooms, a plan with lines, a discount."""
    rooms = []
    for b in (1, 2):
        for i in range(rooms_per_building):
            floor = 2 + i
            inner, shared = 89.5 + i, 20.25
            gross = round(inner + shared, 2)
            price = 32000 + 100 * i
            rooms.append(
                {
                    "房间编码": f"{project}-{b}-{floor:02d}01",
                    "项目编码": project,
                    "楼栋编码": f"B{b}",
                    "单元": "1",
                    "楼层": floor,
                    "房号": f"{floor:02d}01",
                    "户型": "三房两厅",
                    "朝向": "南",
                    "建筑面积": gross,
                    "套内建筑面积": inner,
                    "公摊面积": shared,
                    "单价": price,
                    "总价": round(price * gross, 2),
                    "初始状态": "可售",
                }
            )
    return {
        "项目": [
            {
                "项目编码": project,
                "项目名称": "海湾花园",
                "地区编码": "SZ",
                "计价方式": "建筑面积",
                "开盘日期": "2026-09-01",
            }
        ],
        "楼栋": [
            {
                "项目编码": project,
                "小区": "一期",
                "楼栋编码": f"B{b}",
                "楼栋名称": f"{b}栋",
                "地上层数": 18,
                "单元数": 2,
            }
            for b in (1, 2)
        ],
        "房间": rooms,
        "付款方案": [
            {
                "方案编码": f"{project}-AJ",
                "项目编码": project,
                "方案名称": "商业贷款",
                "付款方式": "商业贷款",
                "定金": 50000,
                "签约期限天数": 7,
                "有效起": "2026-09-01",
                "有效止": "2027-12-31",
            },
        ],
        "付款方案明细": [
            {"方案编码": f"{project}-AJ", "期次": 1, "款项类别": "定金", "金额": 50000, "应付天数": 0},
            {"方案编码": f"{project}-AJ", "期次": 2, "款项类别": "首付款", "比例": 0.3, "应付天数": 7},
            {"方案编码": f"{project}-AJ", "期次": 3, "款项类别": "按揭款", "比例": 0.7, "应付天数": 30},
        ],
        "折扣": [
            {
                "折扣编码": f"{project}-98",
                "项目编码": project,
                "折扣名称": "开盘九八折",
                "折扣类型": "比例",
                "折扣值": 0.98,
                "有效起": "2026-09-01",
                "有效止": "2026-12-31",
                "可叠加": "否",
            },
        ],
        "变更说明": [{"指示日期": "2026-08-30", "指示人": "陈刚", "说明": "项目初始资料"}],
    }


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
]


def phone(i: int) -> str:
    return f"139{i:08d}"


def today() -> str:
    return dt.datetime.now(SHANGHAI).date().isoformat()


def customer_rows(
    count: int, *, start: int = 0, phone_format: Any = None, first_contact: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """``count`` new customers first met ``first_contact`` (default today), each with a first-visit event;
    ``phone_format`` rewrites how phones are typed."""
    fmt = phone_format or (lambda p: p)
    met = first_contact or today()
    customers, events = [], []
    for i in range(start, start + count):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
        customers.append(
            {
                "客户姓名": name,
                "手机号码": fmt(phone(i)),
                "客户来源": "来访",
                "首次接触日期": met,
                "意向户型": "三房",
                "价格预算": 3_000_000,
            }
        )
        events.append(
            {
                "手机号码": fmt(phone(i)),
                "事件类型": "首次来访",
                "事件时间": f"{met} 10:30",
                "事件内容": "看样板间",
            }
        )
    return {"客户": customers, "客户事件": events}
