"""楼盘表: the sales-control board — every room of a building as a floor × unit grid coloured by status.

One sheet per building: floors from the top down, one column per unit and room number, each cell
naming the room, its status, area and price (or the deal's customer and price once sold). A legend
and a count per status close each sheet.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Building, Project, Room
from sync.domain import asof
from sync.domain import rooms as states
from sync.domain.asof_frame import deals_frame
from sync.xlsx.excel_text import put

COLOURS = {
    states.PENDING: "FFD9D9D9",  # 待售: grey
    states.AVAILABLE: "FFC6EFCE",  # 可售: green
    states.HELD: "FFFFEB9C",  # 保留: yellow
    states.UNAVAILABLE: "FF808080",  # 不可售: dark grey
    states.SUBSCRIBED: "FFF8CBAD",  # 认购: orange
    states.CONTRACTED: "FFFF7C80",  # 签约: red
}
EDGE = Side(style="thin", color="FF7F7F7F")


@dataclass(frozen=True)
class Cell:
    room: str
    number: str
    status: str
    text: str

    @property
    def detail(self) -> str:
        """What the cell says after its number and status: the buyer and price, or area and price."""
        return self.text.split("\n", 2)[-1] if self.text.count("\n") >= 2 else ""


def board_cells(
    session: Session, project: str, day: dt.date | None = None
) -> dict[str, dict[tuple[int, str], Cell]]:
    """Building code → (floor, unit+number column) → cell, for the project's rooms in use on
    ``day`` (today by default), each with its status as of that day: a hold past its 保留至 is
    可售, a deal cancelled later is still shown with its customer."""
    day = day or states.today()
    status_of = asof.room_statuses(session, project, day)
    stmt = (
        select(
            Room.code,
            Room.building_code,
            Room.floor,
            Room.unit,
            Room.number,
            Room.area_gross,
            Room.total_price,
        )
        .where(Room.project_code == project)
        .order_by(Room.building_code, Room.floor, Room.unit, Room.number)
    )
    deals = deals_frame(session, project, day, money=False)  # the board shows the buyer and price only
    live = deals[deals["live"].astype(bool)]
    sold = dict(
        zip(live["room_code"], zip(live["customer_name"], live["total_price"], strict=True), strict=True)
    )
    out: dict[str, dict[tuple[int, str], Cell]] = defaultdict(dict)
    for code, building, floor, unit, number, area, price in session.connection().execute(stmt):
        status = status_of.get(code)
        if status is None:
            continue  # removed by then
        deal = sold.get(code)
        detail = f"{deal[0]} {_money(deal[1])}" if deal is not None else f"{area}㎡ {_money(price)}"
        column = f"{unit}单元" if unit else ""
        out[building][(floor, f"{column}{_tail(number)}")] = Cell(
            code, number, status, f"{number}\n{status}\n{detail}"
        )
    return out


def _tail(number: str) -> str:
    """The unit position within a floor: ``0201`` → ``01``."""
    return number[-2:] if len(number) > 2 else number


def _money(value: Decimal) -> str:
    return f"{value / 10000:,.1f}万"


def board_workbook(session: Session, project: str, day: dt.date | None = None) -> bytes:
    """The board as of ``day`` (today by default)."""
    name = session.scalar(select(Project.name).where(Project.code == project)) or project
    buildings = {b.code: b for b in session.scalars(select(Building).where(Building.project_code == project))}
    cells = board_cells(session, project, day)
    wb = Workbook()
    first = True
    for code in sorted(cells):
        grid = cells[code]
        building = buildings.get(code)
        title = (building.name if building else code)[:28]
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = title
        columns = sorted({c for _, c in grid})
        floors = sorted({f for f, _ in grid}, reverse=True)
        put(ws.cell(1, 1), f"{name} {title} 楼盘表")  # names are the operator's text: never a formula
        ws.cell(1, 1).font = Font(bold=True, size=14)
        ws.cell(2, 1, "楼层").font = Font(bold=True)
        for j, column in enumerate(columns, start=2):
            put(ws.cell(2, j), column)
            ws.cell(2, j).font = Font(bold=True)
            ws.column_dimensions[get_column_letter(j)].width = 18
        for i, floor in enumerate(floors, start=3):
            put(ws.cell(i, 1), f"{floor}F")
            ws.cell(i, 1).font = Font(bold=True)
            ws.row_dimensions[i].height = 48
            for j, column in enumerate(columns, start=2):
                cell = grid.get((floor, column))
                target = ws.cell(i, j)
                target.border = Border(left=EDGE, right=EDGE, top=EDGE, bottom=EDGE)
                if cell is None:
                    continue
                put(target, cell.text)
                target.fill = PatternFill("solid", fgColor=COLOURS.get(cell.status, "FFFFFFFF"))
                target.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        counts = Counter(c.status for c in grid.values())
        row = len(floors) + 4
        ws.cell(row, 1, "图例").font = Font(bold=True)
        for j, status in enumerate(states.STATUSES, start=2):
            legend = ws.cell(row, j, f"{status} {counts.get(status, 0)} 套")
            legend.fill = PatternFill("solid", fgColor=COLOURS[status])
        ws.freeze_panes = "B3"
    if first:
        ws = wb.active
        assert ws is not None
        ws.title = "楼盘表"
        put(ws.cell(1, 1), f"{name}：没有房间")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
