"""报表 and 楼盘表 in Chromium: a sales manager picks a report, a project and a period in the form and
reads the table with its totals, switches to English without losing the report, and opens the board
with each room coloured by its status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from sync.app import Salesync
from sync.kinds.reports import get_report
from tests.browser.conftest import click_and_load, go_to, text_of, type_date
from tests.deals import BOARD_CONTROLS, NOVEMBER_RECEIPTS, PROJECT, R1, R2, R3, WITHDRAWN, sold_project
from tests.workbooks import master_rows


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    """The project in November 2026: R1 subscribed and signed, R2 subscribed, R3 held, one room
    withdrawn, the rest for sale; three receipts."""
    sold_project(app, tmp_path, controls=BOARD_CONTROLS, receipts=NOVEMBER_RECEIPTS)


def report_table(browser: WebDriver) -> tuple[list[str], list[dict[str, str]], dict[str, str]]:
    """The report as shown: headers, each row by header, and the totals row by header."""
    table = browser.find_element(By.ID, "report")
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]

    def cells(tr: Any) -> dict[str, str]:
        return dict(zip(headers, (td.text for td in tr.find_elements(By.TAG_NAME, "td")), strict=True))

    rows = [cells(tr) for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    (foot,) = table.find_elements(By.CSS_SELECTOR, "tfoot tr")
    return headers, rows, cells(foot)


def test_a_manager_picks_a_report_and_period_and_keeps_it_in_english(
    portal_url: str, sign_in: Callable[..., WebDriver], site: None
) -> None:
    browser = sign_in("manager")
    go_to(browser, "报表")
    form = browser.find_element(By.ID, "report-form")
    Select(form.find_element(By.NAME, "report")).select_by_visible_text("销售明细分析表")
    Select(form.find_element(By.NAME, "scope")).select_by_visible_text(f"海湾花园（{PROJECT}）")
    type_date(form.find_element(By.NAME, "from"), "2026-11-01")
    type_date(form.find_element(By.NAME, "to"), "2026-11-30")
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    assert (
        text_of(browser, "main h2") == f"销售明细分析表 项目 海湾花园（{PROJECT}），2026-11-01 至 2026-11-30"
    )
    assert text_of(browser, "#row-count") == "共 2 行"
    headers, rows, foot = report_table(browser)
    assert headers == [c.header for c in get_report("sales_detail").columns]
    assert [(r["认购编号"], r["房间编码"], r["合同编号"], r["状态"]) for r in rows] == [
        ("S001", R1, "C001", "签约"),
        ("S002", R2, "", "认购"),
    ]
    assert foot["项目"] == "合计"
    assert (foot["成交总价"], foot["已收金额"], foot["成交面积"]) == (
        "6,925,733.50",
        "1,082,528.00",
        "220.50",
    )
    total = browser.find_element(
        By.XPATH, "//table[@id='report']/tfoot//td[normalize-space()='6,925,733.50']"
    )
    assert total.value_of_css_property("text-align") == "right"  # amounts line up on the right
    chosen = Select(browser.find_element(By.NAME, "report")).first_selected_option.text
    assert chosen == "销售明细分析表"  # the form still says what is shown

    click_and_load(browser, browser.find_element(By.LINK_TEXT, "English"))
    assert text_of(browser, "h1") == "Reports"
    assert (
        text_of(browser, "main h2")
        == f"销售明细分析表 Project 海湾花园 ({PROJECT}), 2026-11-01 to 2026-11-30"
    )
    assert Select(browser.find_element(By.NAME, "report")).first_selected_option.text == "销售明细分析表"
    scope = Select(browser.find_element(By.NAME, "scope")).first_selected_option.text
    assert scope == f"海湾花园（{PROJECT}）"
    assert [browser.find_element(By.NAME, n).get_attribute("value") for n in ("from", "to")] == [
        "2026-11-01",
        "2026-11-30",
    ]
    _headers, rows, foot = report_table(browser)
    assert len(rows) == 2 and foot["项目"] == "Total" and foot["成交总价"] == "6,925,733.50"


def test_the_board_colours_each_room_by_its_status(
    portal_url: str, sign_in: Callable[..., WebDriver], site: None
) -> None:
    browser = sign_in("manager")
    go_to(browser, "楼盘表")
    assert f"海湾花园（{PROJECT}）" in text_of(browser, "h1")
    expected = {R1: "签约", R2: "认购", R3: "保留", WITHDRAWN: "不可售"}
    colours: dict[str, str] = {}
    for room in (r["房间编码"] for r in master_rows()["房间"]):
        cell = browser.find_element(By.CSS_SELECTOR, f"td.room[data-room='{room}']")
        status = expected.get(room, "可售")
        assert f"status-{status}" in (cell.get_attribute("class") or "").split(), room
        assert status in cell.text, room
        colours.setdefault(status, cell.value_of_css_property("background-color"))
        assert cell.value_of_css_property("background-color") == colours[status], room
    assert len(set(colours.values())) == 5, colours  # a colour of its own for each status shown
    assert "rgba(0, 0, 0, 0)" not in colours.values()
    legend = text_of(browser, "#legend")
    assert all(f"{status} {n} 套" in legend for status, n in [("签约", 1), ("认购", 1), ("可售", 4)])
