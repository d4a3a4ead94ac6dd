"""报表 in the portal: a signed project with deals and receipts synced from real workbooks, the
reports read through the browser's GET requests, their Excel download reopened with openpyxl, and
the region rules enforced on the server."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from schema.base import SHANGHAI
from sync.app import Salesync
from sync.domain import accounts
from sync.kinds.reports import FURTHER, REPORTS, get_report
from tests.conftest import PASSWORD
from tests.deals import (
    NOVEMBER_RECEIPTS,
    PROJECT,
    R1,
    R2,
    other_region_project,
    sold_project,
)
from tests.web.conftest import sign_in

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
RECEIPTS = NOVEMBER_RECEIPTS


@pytest.fixture
def sold(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    """The test project with two deals (one signed) and three receipts in November 2026."""
    return sold_project(app, tmp_path, receipts=RECEIPTS)


class _Tables(HTMLParser):
    """The text of every cell of every table, by table id and section (thead, tbody, tfoot)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list[list[str]]]] = {}
        self._table: str | None = None
        self._section = "tbody"
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = {"thead": [], "tbody": [], "tfoot": []}
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr" and self._table is not None:
            self.tables[self._table][self._section].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][self._section][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None


def report_table(html: str) -> tuple[list[str], list[dict[str, str]], dict[str, str]]:
    """The report table of a page: headers, rows by header, and the totals row (empty if none)."""
    parser = _Tables()
    parser.feed(html)
    table = parser.tables["report"]
    (headers,) = table["thead"]
    rows = [dict(zip(headers, row, strict=True)) for row in table["tbody"]]
    foot = dict(zip(headers, table["tfoot"][0], strict=True)) if table["tfoot"] else {}
    return headers, rows, foot


def show(client: FlaskClient, report: str, scope: str = f"project:{PROJECT}", **args: str) -> Any:
    return client.get("/reports/", query_string={"report": report, "scope": scope, **PERIOD, **args})


@pytest.mark.parametrize("scope", [f"project:{PROJECT}", "region:SZ"])
def test_a_manager_sees_the_sales_detail_with_totals(
    sold: Salesync, login: Callable[..., FlaskClient], scope: str
) -> None:
    response = show(login("manager"), "sales_detail", scope)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    headers, rows, foot = report_table(page)
    assert headers == [c.header for c in get_report("sales_detail").columns]
    assert [(r["认购编号"], r["房间编码"], r["合同编号"], r["状态"]) for r in rows] == [
        ("S001", R1, "C001", "签约"),
        ("S002", R2, "", "认购"),
    ]
    assert [(r["成交总价"], r["已收金额"], r["未收金额"]) for r in rows] == [
        ("3,441,760.00", "1,032,528.00", "2,409,232.00"),
        ("3,483,973.50", "50,000.00", "3,433,973.50"),
    ]
    assert foot["项目"] == "合计"
    assert (foot["成交总价"], foot["已收金额"], foot["成交面积"]) == (
        "6,925,733.50",
        "1,082,528.00",
        "220.50",
    )
    assert foot["认购编号"] == "" and foot["成交单价"] == ""  # not a total of the spec
    assert '<td class="num">3,441,760.00</td>' in page  # numbers right-aligned
    assert "共 2 行" in page and "下载 Excel" in page


def test_the_form_starts_with_this_month_and_my_region(
    sold: Salesync, login: Callable[..., FlaskClient]
) -> None:
    page = login("manager").get("/reports/").get_data(as_text=True)
    today = dt.datetime.now(SHANGHAI).date()
    assert f'name="from" value="{today.replace(day=1).isoformat()}"' in page
    assert f'name="to" value="{today.isoformat()}"' in page
    assert '<option value="region:SZ" selected>' in page
    assert all(spec.title in page for spec in [*REPORTS.values(), *FURTHER.values()])
    assert 'id="report"' not in page  # nothing is built until asked


def test_the_excel_download_has_the_same_rows(sold: Salesync, login: Callable[..., FlaskClient]) -> None:
    client = login("manager")
    _headers, rows, foot = report_table(show(client, "receipts").get_data(as_text=True))
    response = client.get(
        "/reports/download", query_string={"report": "receipts", "scope": f"project:{PROJECT}", **PERIOD}
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    name = f"收退款明细表_{PROJECT}_2026-11-01_2026-11-30.xlsx"
    assert f"filename*=UTF-8''{quote(name)}" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.get_data()))
    ws = wb["收退款明细表"]
    headers = [c.value for c in ws[1]]
    *cells, total = [dict(zip(headers, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert [c["票据编号"] for c in cells] == [r["票据编号"] for r in rows] == ["P001", "P002", "P003"]
    assert [f"{c['金额']:,.2f}" for c in cells] == [r["金额"] for r in rows]
    assert [c["交款时间"].date().isoformat() for c in cells] == [r["交款时间"] for r in rows]
    assert total["票据编号"] == "合计" and f"{total['金额']:,.2f}" == foot["金额"] == "1,082,528.00"
    assert wb["说明"]["A2"].value == f"项目 海湾花园（{PROJECT}），2026-11-01 至 2026-11-30"
    assert wb["说明"]["A3"].value == "共 3 行"


def test_another_regions_project_is_refused(
    sold: Salesync, login: Callable[..., FlaskClient], portal: Flask, tmp_path: Path
) -> None:
    other = other_region_project(sold, tmp_path)
    manager = login("manager")
    assert other not in manager.get("/reports/").get_data(as_text=True)
    for scope in (f"project:{other}", "region:GZ", "project:NOPE", "region:NOPE", "everything"):
        assert show(manager, "receipts", scope).status_code == 404, scope
        args = {"report": "receipts", "scope": scope, **PERIOD}
        assert manager.get("/reports/download", query_string=args).status_code == 404, scope
    with sold.transaction() as session:  # the group's marketing department reads every region
        accounts.add_user(session, "exec", name="郭超", roles=["executive"], password=PASSWORD)
    executive = portal.test_client()
    sign_in(executive, "exec")
    assert f"project:{other}" in executive.get("/reports/").get_data(as_text=True)
    _headers, rows, _foot = report_table(show(executive, "sales_summary", "region:GZ").get_data(as_text=True))
    assert {r["项目"] for r in rows} == {"天河公馆"}
    assert show(executive, "receipts", f"project:{PROJECT}").status_code == 200


def test_the_period_is_checked(sold: Salesync, login: Callable[..., FlaskClient]) -> None:
    client = login("manager")
    backwards = show(client, "receipts", **{"from": "2026-11-30", "to": "2026-11-01"})
    assert backwards.status_code == 400
    assert "期间起不能晚于期间止" in backwards.get_data(as_text=True)
    assert 'id="report"' not in backwards.get_data(as_text=True)
    garbled = show(client, "receipts", **{"from": "2026-13-01"})
    assert garbled.status_code == 400 and "2026-13-01" in garbled.get_data(as_text=True)
    english = show(client, "receipts", lang="en", **{"from": "2026-11-30", "to": "2026-11-01"})
    assert "The period cannot start after it ends" in english.get_data(as_text=True)
    args = {"report": "receipts", "scope": f"project:{PROJECT}", "from": "2026-12-01", "to": "2026-11-01"}
    assert client.get("/reports/download", query_string=args).status_code == 400
    assert show(client, "no_such_report").status_code == 404


def test_every_report_opens(sold: Salesync, login: Callable[..., FlaskClient]) -> None:
    client = login("senior")
    for spec in [*REPORTS.values(), *FURTHER.values()]:
        response = show(client, spec.id, "region:SZ")
        assert response.status_code == 200, spec.id
        page = response.get_data(as_text=True)
        assert f"<h2>{spec.title}" in page, spec.id
        if 'id="report"' in page:
            headers, _rows, _foot = report_table(page)
            assert headers == [c.header for c in spec.columns], spec.id


def test_a_long_report_shows_the_first_rows_and_sends_the_rest_to_excel(
    sold: Salesync, login: Callable[..., FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.reports.HTML_ROWS", 2)
    page = show(login("manager"), "receipts").get_data(as_text=True)
    _headers, rows, foot = report_table(page)
    assert [r["票据编号"] for r in rows] == ["P001", "P002"]
    assert foot["金额"] == "1,082,528.00"  # the totals count every row
    assert "共 3 行" in page and "另有 1 行请下载 Excel 查看" in page


def test_reports_are_not_for_sales_reps(sold: Salesync, login: Callable[..., FlaskClient]) -> None:
    rep = login("rep_a")
    assert show(rep, "sales_detail").status_code == 403
    args = {"report": "sales_detail", "scope": f"project:{PROJECT}", **PERIOD}
    assert rep.get("/reports/download", query_string=args).status_code == 403
