"""A change set's diff pages below its summary and downloads as a workbook: the summary, the fields
changed, and the rows added and removed with all their cells."""

from __future__ import annotations

import io
from collections.abc import Callable
from html import unescape
from pathlib import Path

from flask.testing import FlaskClient
from openpyxl import load_workbook

from sync.app import Salesync
from tests.web.test_changes_portal import later_change
from tests.workbooks import fill_template, master_rows

Login = Callable[..., FlaskClient]


def test_an_initial_load_pages_its_rows_and_exports_them_all(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    rows = master_rows(rooms_per_building=16)  # floors 2–17 of each building, room 01
    rows["房间"] = [  # four rooms a floor: 128 rooms, more than a page of rows added
        room | {"房间编码": room["房间编码"][:-2] + f"{n:02d}", "房号": room["房号"][:-2] + f"{n:02d}"}
        for room in rows["房间"]
        for n in (1, 2, 3, 4)
    ]
    outcome = app.ingest(fill_template("project_master", rows, tmp_path / "v1.xlsx"), "operator")
    cs = outcome.change_set_id
    assert cs is not None, outcome.errors
    client = login("senior")
    page = unescape(client.get(f"/changes/{cs}").get_data(as_text=True))
    assert page.index('id="summary"') < page.index('id="sign"') < page.index('id="export"')
    rooms = [r["房间编码"] for r in rows["房间"]]
    first = [r for r in rooms if f">{r}<" in page]
    assert 0 < len(first) < len(rooms) and "下一页" in page
    second = unescape(client.get(f"/changes/{cs}?apage=2").get_data(as_text=True))
    assert not {r for r in rooms if f">{r}<" in second} & set(first)

    response = client.get(f"/changes/{cs}/export")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames[0] == "摘要"
    facts = {r[0]: r[1] for r in book["摘要"].iter_rows(min_row=2, values_only=True)}
    assert facts["新增房间"] == len(rooms) and facts["状态"] == "待签"
    assert facts["总价变化"] == sum(r["总价"] for r in rows["房间"])
    added = list(book["新增-房间"].iter_rows(values_only=True))
    assert added[0][0] == "房间编码" and sorted(r[0] for r in added[1:]) == sorted(rooms)


def test_a_change_exports_its_fields_old_and_new(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path, price=33000)
    response = login("senior").get(f"/changes/{cs}/export")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    changed = list(book["修改的字段"].iter_rows(values_only=True))
    assert changed[0] == ("工作表", "主键", "字段", "原值", "新值")
    assert any(r[2] == "单价" and str(r[4]).startswith("33000") for r in changed[1:]), changed
    assert login("rep_a").get(f"/changes/{cs}/export").status_code in (403, 404)
