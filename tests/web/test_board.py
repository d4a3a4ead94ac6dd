"""楼盘表 in the portal: rooms of a signed project in every state a sales office sees (sold, signed,
held, withdrawn, for sale), synced from real workbooks, shown as floor × unit grids and downloaded."""

from __future__ import annotations

import io
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

import web
from sync.app import Salesync
from sync.domain.rooms import STATUSES
from tests.deals import (
    BOARD_CONTROLS,
    PROJECT,
    R1,
    R2,
    R3,
    WITHDRAWN,
    other_region_project,
    sold_project,
    statuses,
)
from tests.workbooks import master_rows

PORTAL = Path(web.__file__).parent


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    """The test project: R1 signed, R2 subscribed, R3 held, one room withdrawn, the rest for sale."""
    return sold_project(app, tmp_path, controls=BOARD_CONTROLS)


class _Rooms(HTMLParser):
    """Each room cell of the board: its classes and text; and each grid's floors, top to bottom."""

    def __init__(self) -> None:
        super().__init__()
        self.rooms: dict[str, tuple[set[str], str]] = {}
        self.floors: dict[str, list[int]] = {}
        self._building = ""
        self._room: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("data-building"):
            self._building = a["data-building"] or ""
            self.floors[self._building] = []
        elif tag == "tr" and a.get("data-floor"):
            self.floors[self._building].append(int(a["data-floor"] or 0))
        elif tag == "td" and a.get("data-room"):
            self._room, self._text = a["data-room"], []
            self.rooms[self._room] = (set((a.get("class") or "").split()), "")

    def handle_data(self, data: str) -> None:
        if self._room is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._room is not None:
            self.rooms[self._room] = (self.rooms[self._room][0], " ".join("".join(self._text).split()))
            self._room = None


def board(client: FlaskClient, **args: str) -> tuple[_Rooms, str]:
    response = client.get("/board/", query_string=args)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    parser = _Rooms()
    parser.feed(page)
    return parser, page


def test_the_board_shows_every_room_in_its_status(site: Salesync, login: Callable[..., FlaskClient]) -> None:
    shown, page = board(login("rep_a"), project=PROJECT)
    rooms = [r["房间编码"] for r in master_rows(PROJECT)["房间"]]
    assert sorted(shown.rooms) == sorted(rooms)
    expected = statuses(site, *rooms)
    assert {R1: "签约", R2: "认购", R3: "保留", WITHDRAWN: "不可售"}.items() <= expected.items()
    for code, (classes, text) in shown.rooms.items():
        assert f"status-{expected[code]}" in classes, code
        assert expected[code] in text, code
    assert "王伟 344.2万" in shown.rooms[R1][1]  # the buyer and the deal's price once sold
    assert "㎡" in shown.rooms[R3][1]  # area and list price while unsold
    assert shown.floors == {"B1": [5, 4, 3, 2], "B2": [5, 4, 3, 2]}  # highest floor on top
    assert "1栋" in page and "2栋" in page
    for status, n in [("签约", 1), ("认购", 1), ("保留", 1), ("不可售", 1), ("可售", 4), ("待售", 0)]:
        assert f'data-status="{status}">{status} {n} 套</span>' in page, status


def test_the_board_opens_on_the_first_project_and_downloads(
    site: Salesync, login: Callable[..., FlaskClient]
) -> None:
    client = login("operator")
    shown, _page = board(client)
    assert R1 in shown.rooms
    response = client.get("/board/download", query_string={"project": PROJECT})
    assert response.status_code == 200
    name = f"楼盘表_海湾花园_{PROJECT}.xlsx"
    assert f"filename*=UTF-8''{quote(name)}" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.get_data()))
    assert wb.sheetnames == ["1栋", "2栋"]
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any(isinstance(t, str) and t.startswith("0201\n签约") for t in texts)


def test_another_regions_board_is_refused(
    site: Salesync, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    other = other_region_project(site, tmp_path)
    rep = login("rep_a")
    _shown, page = board(rep)
    assert other not in page
    for code in (other, "NOPE"):
        assert rep.get("/board/", query_string={"project": code}).status_code == 404
        assert rep.get("/board/download", query_string={"project": code}).status_code == 404


def test_a_sales_rep_opens_the_board_but_not_reports(
    people: dict[str, str], login: Callable[..., FlaskClient]
) -> None:
    rep = login("rep_a")
    _shown, page = board(rep)
    assert "没有您可以查看的项目" in page  # the region has no project yet
    assert rep.get("/reports/").status_code == 403


def test_every_room_status_has_a_colour() -> None:
    css = (PORTAL / "static" / "portal.css").read_text(encoding="utf-8")
    css += (PORTAL / "templates" / "board" / "index.html").read_text(encoding="utf-8")
    assert [s for s in STATUSES if f".status-{s} " not in css] == []
