"""楼盘表: the sales-control board of one project — each building's rooms as a floor × unit grid,
highest floor on top, coloured by status, with a legend and the count per status; and the same board
as an Excel workbook. The cells come from ``sync.reports.board``; the region rules are the reports'.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Building, Project
from sync.domain.rooms import STATUSES
from sync.reports.board import Cell, board_cells, board_workbook
from web import db
from web.access import BOARD_VIEWERS
from web.auth import roles_required
from web.present import xlsx
from web.scope import project_in_scope, visible_projects

bp = Blueprint("board", __name__, url_prefix="/board")


@dataclass(frozen=True)
class Grid:
    """One building's board: column titles, and per floor (top down) a cell or None per column."""

    code: str
    name: str
    columns: list[str]
    floors: list[tuple[int, list[Cell | None]]]
    counts: dict[str, int]

    @property
    def body(self) -> Markup:
        """The grid's table rows, written once here rather than cell by cell in the template: a
        board of 2,000 rooms is 2,000 cells, and each one's text is escaped exactly once."""
        return Markup("\n".join(_row(floor, cells) for floor, cells in self.floors))


def _row(floor: int, cells: list[Cell | None]) -> str:
    parts = [f'<tr data-floor="{floor}"><th class="floor">{floor}F</th>']
    for cell in cells:
        if cell is None:
            parts.append("<td></td>")
            continue
        room, status = escape(cell.room), escape(cell.status)
        parts.append(
            f'<td class="room status-{status}" data-room="{room}" title="{room} · {status}">'
            f"<strong>{escape(cell.number)}</strong> {status} <small>{escape(cell.detail)}</small></td>"
        )
    parts.append("</tr>")
    return "".join(parts)


def grids(session: Session, project: str, day: dt.date | None = None) -> list[Grid]:
    stmt = select(Building.code, Building.name).where(
        Building.project_code == project, Building.removed_at.is_(None)
    )
    names = {code: name for code, name in session.execute(stmt)}
    out = []
    for code, cells in sorted(board_cells(session, project, day).items()):
        columns = sorted({column for _, column in cells})
        floors = sorted({floor for floor, _ in cells}, reverse=True)
        rows = [(floor, [cells.get((floor, column)) for column in columns]) for floor in floors]
        counts = in_order(Counter(c.status for c in cells.values()))
        out.append(Grid(code, names.get(code, code), columns, rows, counts))
    return out


def in_order(found: Counter[str]) -> dict[str, int]:
    """Rooms per status in the state machine's order, every status shown (zeros too)."""
    return {status: found[status] for status in (*STATUSES, *sorted(set(found) - set(STATUSES)))}


def _chosen(session: Session) -> Project | None:
    code = request.args.get("project", "")
    if code:
        return project_in_scope(session, code)
    projects = visible_projects(session)
    return projects[0] if projects else None


@bp.route("/")
@roles_required(*BOARD_VIEWERS)
def index() -> ResponseReturnValue:
    session = db.session()
    project = _chosen(session)
    day = _day()
    buildings = grids(session, project.code, day) if project else []
    totals: Counter[str] = Counter()
    for grid in buildings:
        totals.update(grid.counts)
    return render_template(
        "board/index.html",
        projects=visible_projects(session),
        project=project,
        buildings=buildings,
        totals=in_order(totals),
        rooms=sum(totals.values()),
        at=day,
    )


@bp.route("/download")
@roles_required(*BOARD_VIEWERS)
def download() -> ResponseReturnValue:
    session = db.session()
    project = project_in_scope(session, request.args.get("project", ""))
    day = _day()
    suffix = f"_{day}" if day else ""
    return xlsx(
        board_workbook(session, project.code, day), f"楼盘表_{project.name}_{project.code}{suffix}.xlsx"
    )


def _day() -> dt.date | None:
    """The day the board stands as of (``at``, YYYY-MM-DD); today when absent or unreadable."""
    raw = request.args.get("at", "").strip()
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
