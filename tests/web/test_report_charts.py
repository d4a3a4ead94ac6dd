"""The report pages' charts, print stylesheet, paging and the download's print setup, read without a
browser: the page holds each chart as inline SVG whose bars carry the report's own figures, it
references nothing outside the portal, and the downloaded workbook prints with its header repeated,
fit to the page's width and 制表人 in the footer."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from sync.app import Salesync
from tests.deals import PROJECT, sold_project
from tests.manual_reports import synced_visits
from tests.web.test_reports import PERIOD, RECEIPTS, report_table, show


@pytest.fixture
def sold(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    """The test project with two deals (one signed) and three receipts in November 2026."""
    return sold_project(app, tmp_path, receipts=RECEIPTS)


class _Charts(HTMLParser):
    """Every chart's bars (label → figure) by chart id, and every address the page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, float]] = {}
        self.loads: list[str] = []
        self._chart: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg" and (a.get("id") or "").startswith("chart-"):
            self._chart = (a["id"] or "")[len("chart-") :]
            self.charts[self._chart] = {}
        elif tag == "g" and self._chart is not None and "data-label" in a:
            self.charts[self._chart][a["data-label"] or ""] = float(a["data-value"] or 0)
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.loads.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.loads.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None


def charts(html: str) -> _Charts:
    parser = _Charts()
    parser.feed(html)
    return parser


def test_receipts_by_month_are_the_reports_amounts(sold: Salesync, login: Callable[..., FlaskClient]) -> None:
    page = show(login("manager"), "receipts").get_data(as_text=True)
    found = charts(page)
    _headers, _rows, foot = report_table(page)
    assert found.charts["collected"] == {
        "2026-11": pytest.approx(float(sum(Decimal(str(r["金额"])) for r in RECEIPTS)))
    }
    assert f"{found.charts['collected']['2026-11']:,.2f}" == foot["金额"]
    assert all(src.startswith("/") for src in found.loads), found.loads  # nothing from elsewhere
    assert "<svg" in page and "cdn" not in page.lower()


def test_sell_through_by_building_is_the_summarys_column(
    sold: Salesync, login: Callable[..., FlaskClient]
) -> None:
    page = show(login("manager"), "sales_summary").get_data(as_text=True)
    _headers, rows, _foot = report_table(page)
    bars = charts(page).charts["sell-through"]
    assert set(bars) == {r["楼栋"] for r in rows}
    for r in rows:
        assert f"{bars[r['楼栋']]:.2%}" == r["去化率"]
    assert any(v > 0 for v in bars.values())


def test_visits_by_source_and_by_rep(
    app: Salesync, people: dict[str, str], tmp_path: Path, login: Callable[..., FlaskClient]
) -> None:
    synced_visits(app, people, tmp_path, 4)
    page = show(login("manager"), "calls_visits", **{"from": "2026-11-01", "to": "2026-11-30"}).get_data(
        as_text=True
    )
    _headers, rows, _foot = report_table(page)
    visits = [r for r in rows if r["事件类型"] in ("首次来访", "来访")]
    assert visits, "the generated customers visited"
    found = charts(page).charts
    by_source = Counter(r["客户来源"] or "（未填）" for r in visits)
    assert found["visits-source"] == {k: float(n) for k, n in by_source.items()}
    assert found["visits-rep"] == {people["rep_a"]: float(len(visits))}


def test_a_report_without_a_picture_has_no_chart(sold: Salesync, login: Callable[..., FlaskClient]) -> None:
    page = show(login("manager"), "sales_detail").get_data(as_text=True)
    assert charts(page).charts == {} and 'id="charts"' not in page


def test_the_print_stylesheet(portal_client: FlaskClient) -> None:
    css = portal_client.get("/static/portal.css").get_data(as_text=True)
    block = css[css.index("@media print") :]
    assert "display: none" in block and "table-header-group" in block


@pytest.fixture
def portal_client(sold: Salesync, login: Callable[..., FlaskClient]) -> FlaskClient:
    return login("manager")


def test_the_report_is_paged_and_sorted_on_the_server(
    sold: Salesync, login: Callable[..., FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.reports.PAGE_ROWS", 2)
    client = login("manager")
    page = show(client, "receipts", page="2").get_data(as_text=True)
    _headers, rows, foot = report_table(page)
    assert [r["票据编号"] for r in rows] == ["P003"]
    assert foot["金额"] == "1,082,528.00"  # totals and charts count the whole report
    assert "第 3–3 项，共 3 项" in page
    ordered = show(client, "receipts", sort="amount", dir="desc").get_data(as_text=True)
    assert [r["票据编号"] for r in report_table(ordered)[1]] == ["P003", "P001"]


def test_the_download_prints_with_its_header_fit_to_width_and_who_made_it(
    sold: Salesync, login: Callable[..., FlaskClient]
) -> None:
    args = {"report": "sales_detail", "scope": f"project:{PROJECT}", **PERIOD}
    response = login("manager").get("/reports/download", query_string=args)
    assert response.status_code == 200
    data = response.get_data()
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.page_setup.orientation == "landscape"  # twenty columns
    assert ws.oddFooter.left.text == "制表人：赵敏"
    assert re.fullmatch(r"制表日期：\d{4}-\d{2}-\d{2}", ws.oddFooter.right.text or "")
