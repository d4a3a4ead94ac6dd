"""A change set's summary comes first, beside the sign form: rooms added, removed and re-priced, the
change of the total value and the live deals it touches; the fields changed are paged below."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from pathlib import Path

from flask.testing import FlaskClient

from sync.app import Salesync
from tests.web.test_changes_portal import later_change
from tests.workbooks import fill_template, master_rows

Login = Callable[..., FlaskClient]


def test_the_summary_comes_before_the_diff_beside_the_sign_form(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    room = master_rows()["房间"][0]
    cs = later_change(app, tmp_path, price=33000)
    page = unescape(login("senior").get(f"/changes/{cs}").get_data(as_text=True))
    assert page.index('id="summary"') < page.index('id="sign"') < page.index('id="changed"')
    value = round(33000 * room["建筑面积"], 2) - round(32000 * room["建筑面积"], 2)
    assert f'id="value-change" class="num">+{value:,.2f}<' in page
    assert 'id="rooms-repriced">1<' in page and 'id="rooms-added">0<' in page
    assert 'id="deals-touched">0<' in page
    english = unescape(login("senior").get(f"/changes/{cs}?lang=en").get_data(as_text=True))
    assert "Total value change" in english and "Rooms re-priced" in english


def test_an_initial_load_counts_its_rooms(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    outcome = app.ingest(fill_template("project_master", master_rows(), tmp_path / "v1.xlsx"), "operator")
    rooms = master_rows()["房间"]
    page = unescape(login("senior").get(f"/changes/{outcome.change_set_id}").get_data(as_text=True))
    assert f'id="rooms-added">{len(rooms)}<' in page
    total = sum(r["总价"] for r in rooms)
    assert f'id="value-change" class="num">+{total:,.2f}<' in page
