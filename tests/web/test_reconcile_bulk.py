"""Bulk explanations on a reconciliation run: the ticked mismatches, or every one the filter matches,
get one reason and note; the key search narrows the list."""

from __future__ import annotations

import io
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from schema.models import ReconciliationItem
from sync.app import Salesync
from sync.kinds.reports import get_report
from tests.manual_reports import PERIOD, Rows, synced_visits
from tests.web.conftest import csrf_token
from tests.web.test_reconcile_portal import manual_report, run_id_of, upload
from tests.workbooks import phone
from web.reconcile_views import _figures


@pytest.fixture
def visits(app: Salesync, people: dict[str, str], tmp_path: Path) -> Rows:
    return synced_visits(app, people, tmp_path, 3)


def three_off(synced: Rows) -> Rows:
    rows = [dict(v) for v in synced]
    for row in rows:
        row["事件内容"] = "问价格"
    return rows


def explained(app: Salesync) -> dict[int, tuple[str | None, str | None]]:
    with app.transaction() as session:
        return {i.id: (i.explanation, i.note) for i in session.scalars(select(ReconciliationItem))}


def test_one_reason_for_the_ticked_then_for_all_the_filter_matches(
    app: Salesync,
    login: Callable[..., FlaskClient],
    visits: Rows,
    tmp_path: Path,
) -> None:
    client = login("manager")
    run_id = run_id_of(upload(client, manual_report(tmp_path, three_off(visits))))
    page = client.get(f"/reconcile/{run_id}").get_data(as_text=True)
    assert 'id="bulk-explain"' in page and page.count('form="bulk-explain"') == 3
    ids = sorted(explained(app))
    assert len(ids) == 3

    found = client.get(f"/reconcile/{run_id}?q={phone(2)}").get_data(as_text=True)
    assert found.count('form="bulk-explain"') == 1

    token = csrf_token(client, f"/reconcile/{run_id}")
    target = f"/reconcile/{run_id}/explain"
    client.post(target, data={"csrf_token": token, "reason": "手工错误"})  # nothing ticked
    assert all(e == (None, None) for e in explained(app).values())
    done = client.post(
        target, data={"csrf_token": token, "reason": "手工错误", "note": "抄错", "item": ids[:2]}
    )
    assert done.status_code == 302
    assert "已说明 2 项差异" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert explained(app) == {
        ids[0]: ("手工错误", "抄错"),
        ids[1]: ("手工错误", "抄错"),
        ids[2]: (None, None),
    }

    client.post(target, data={"csrf_token": token, "reason": "录入延迟", "all": "1", "unexplained": "1"})
    assert explained(app)[ids[2]] == ("录入延迟", None) and explained(app)[ids[0]] == ("手工错误", "抄错")


def test_counts_in_the_totals_are_whole_numbers() -> None:
    summary = get_report("sales_summary")
    rooms = _figures(summary, {"field": "rooms", "manual": "41.00", "system": "42", "difference": "-1.00"})
    assert (rooms["manual"], rooms["system"], rooms["difference"]) == ("41", "42", "-1")
    value = _figures(
        summary, {"field": "value", "manual": "1234567.5", "system": "0", "difference": "1234567.5"}
    )
    assert value["manual"] == "1,234,567.50"


def test_the_export_carries_the_explanations(
    app: Salesync, login: Callable[..., FlaskClient], visits: Rows, tmp_path: Path
) -> None:
    client = login("manager")
    run_id = run_id_of(upload(client, manual_report(tmp_path, three_off(visits))))
    ids = sorted(explained(app))
    token = csrf_token(client, f"/reconcile/{run_id}")
    data = {"csrf_token": token, "reason": "手工错误", "note": "抄错", "item": [ids[0]]}
    client.post(f"/reconcile/{run_id}/explain", data=data)
    response = client.get(f"/reconcile/{run_id}/export")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.data))["对账结果"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(r for r in rows if r and r[0] == "编号")
    assert header[8:12] == ["说明", "备注", "说明人", "说明时间"]
    by_id = {r[0]: r for r in rows if r and isinstance(r[0], int)}
    assert by_id[ids[0]][8:11] == ["手工错误", "抄错", "赵敏（manager）"] and by_id[ids[0]][11]
    assert by_id[ids[1]][8:12] == [None, None, None, None]


def test_each_report_has_its_template_to_download(
    login: Callable[..., FlaskClient], people: dict[str, str]
) -> None:
    client = login("manager")
    page = client.get("/reconcile/").get_data(as_text=True)
    assert 'href="/reconcile/template/calls_visits"' in page
    response = client.get("/reconcile/template/calls_visits")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    shipped = Path(__file__).parents[2] / "templates_xlsx" / "手工来电来访明细表.xlsx"
    assert response.data == shipped.read_bytes()
    assert client.get("/reconcile/template/nope").status_code == 404
    assert login("rep_a").get("/reconcile/template/calls_visits").status_code == 403


def test_the_period_dashboard_counts_agreement_and_open_mismatches(
    app: Salesync, login: Callable[..., FlaskClient], visits: Rows, tmp_path: Path
) -> None:
    client = login("manager")
    run_id = run_id_of(upload(client, manual_report(tmp_path, three_off(visits))))
    upload(client, manual_report(tmp_path / "same", visits))  # a second check that agrees
    page = unescape(client.get(f"/reconcile/?month={PERIOD[0][:7]}").get_data(as_text=True))
    row = page.split('data-report="calls_visits">')[1].split("</tr>")[0]
    assert '<td class="num">2</td><td class="num">1</td><td class="num">50%</td>' in row
    assert "单元格不一致 3" in page.split('id="open-by-kind"')[1].split("</p>")[0]
    ids = sorted(explained(app))
    token = csrf_token(client, f"/reconcile/{run_id}")
    client.post(
        f"/reconcile/{run_id}/explain", data={"csrf_token": token, "reason": "手工错误", "item": ids[:1]}
    )
    page = unescape(client.get(f"/reconcile/?month={PERIOD[0][:7]}").get_data(as_text=True))
    said = page.split('id="open-by-kind"')[1].split("</p>")[0]
    assert "单元格不一致 2" in said and "手工错误 1" in said
    assert "本月还没有对账" in client.get("/reconcile/?month=2020-01").get_data(as_text=True)
