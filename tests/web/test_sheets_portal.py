"""在线表格 in the portal: an admin registers a Google Sheet for an account of their region, and a
sheet that cannot be read is one line on the 同步记录 page (no network here: the failure is recorded
on the registration as the sync would record it)."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from schema.base import now
from schema.models import OnlineSheet, WorkLogEntry
from sync.app import Salesync
from sync.domain import accounts
from sync.sources import sheets
from sync.sources.base import SourceUnavailable
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_token

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"
Login = Callable[..., FlaskClient]


def test_an_admin_registers_a_sheet_and_its_failure_shows_in_the_sync_log(
    app: Salesync, people: dict[str, str], login: Login
) -> None:
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="管理员", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
    admin = login("sz_admin")
    page = admin.get("/admin/sheets/").get_data(as_text=True)
    assert "还没有登记在线表格" in page

    form = {"url": "https://example.com/not-a-sheet", "username": "rep_a", "kind": "customers"}
    bad = admin.post("/admin/sheets/", data={**form, "csrf_token": csrf_token(admin, "/admin/sheets/")})
    assert bad.status_code == 400 and "不是 Google 表格链接" in bad.get_data(as_text=True)

    form["url"] = f"https://docs.google.com/spreadsheets/d/{KEY}/edit"
    no_token = admin.post("/admin/sheets/", data=form)
    assert no_token.status_code == 400  # CSRF
    done = admin.post(
        "/admin/sheets/",
        data={**form, "csrf_token": csrf_token(admin, "/admin/sheets/")},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "已登记在线表格 #1" in done.get_data(as_text=True)

    with app.transaction() as session:
        sheet = session.scalar(select(OnlineSheet))
        assert sheet is not None and sheet.account.username == "rep_a" and sheet.kind == "customers"
        logged = session.scalar(select(WorkLogEntry).where(WorkLogEntry.entity == "online_sheet"))
        assert logged is not None and logged.op == "register" and logged.key == KEY
        assert logged.account_id == accounts.get_account(session, "sz_admin").id
        sheets.record_failure(
            sheet, SourceUnavailable("sheet-forbidden", sheet=sheet.url, account="bot@x"), now()
        )

    rep = login("rep_a")
    log = rep.get("/versions/").get_data(as_text=True)
    assert "sheet-problem" in log and "已不再共享给同步账号" in log
    other = login("rep_b").get("/versions/").get_data(as_text=True)
    assert "sheet-problem" not in other  # another rep's sheet is not theirs to see
    listed = admin.get("/admin/sheets/?lang=en").get_data(as_text=True)
    assert "Stop syncing" in listed and "已不再共享给同步账号" in listed

    stop = admin.post("/admin/sheets/1/remove", data={"csrf_token": csrf_token(admin, "/admin/sheets/")})
    assert stop.status_code == 302
    with app.transaction() as session:
        assert sheets.due(session, now(), force=True) == []
