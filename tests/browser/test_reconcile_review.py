"""双轨对账 in Chromium: a sales manager uploads a hand-made 来电来访明细表 with one cell that differs
from the system, reviews it, explains it and downloads the manual workbook with the cell marked."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from sync.app import Salesync
from tests.browser.conftest import click_and_load, downloaded, go_to, save_downloads_in, text_of
from tests.manual_reports import REPORT_NAME, manual_report_file, synced_visits
from tests.workbooks import phone

MARKED = "FFFFC7CE"  # the fill of a differing cell in the exported workbook


@pytest.fixture
def manual_report(app: Salesync, people: dict[str, str], tmp_path: Path) -> Path:
    """Three customers of rep_a visited on 2026-11-10, synced; the controller's hand-made report of
    them on the 来电来访明细表 template, with the second visit's 事件内容 (Excel row 3) copied wrong."""
    by_hand = synced_visits(app, people, tmp_path, 3)
    assert by_hand[1]["事件内容"] == "看样板间"
    by_hand[1]["事件内容"] = "问价格"
    return manual_report_file(by_hand, tmp_path / "desktop" / REPORT_NAME)


def cells_of(browser: WebDriver, row_css: str) -> list[str]:
    return [td.text for td in browser.find_elements(By.CSS_SELECTOR, f"{row_css} > td")]


def test_a_manager_uploads_explains_and_downloads_the_marked_report(
    portal_url: str, sign_in: Callable[..., WebDriver], manual_report: Path, tmp_path: Path
) -> None:
    browser = sign_in("manager")
    go_to(browser, "双轨对账")
    assert "还没有对账记录" in text_of(browser)

    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(manual_report))
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#upload button[type=submit]"))
    assert re.fullmatch(rf"{re.escape(portal_url)}reconcile/\d+", browser.current_url), browser.current_url
    assert text_of(browser, "h1").startswith("来电来访明细表")
    summary = text_of(browser, "#summary")
    assert "手工 3 行，系统 3 行，一致匹配 2 行" in summary and "1 项待说明" in summary

    (row,) = browser.find_elements(By.CSS_SELECTOR, "#mismatches tbody tr")
    row_css = f"#{row.get_attribute('id')}"
    kind, key, excel_row, header, manual, system = cells_of(browser, row_css)[1:7]
    assert (kind, excel_row, header, manual, system) == (
        "单元格不一致",
        "3",
        "事件内容",
        "问价格",
        "看样板间",
    )
    assert phone(1) in key
    highlighted = row.find_elements(By.CSS_SELECTOR, "td.diff")  # manual beside system, both coloured
    assert [td.text for td in highlighted] == ["问价格", "看样板间"]
    assert all(td.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)" for td in highlighted)

    Select(row.find_element(By.NAME, "reason")).select_by_visible_text("手工错误")
    row.find_element(By.NAME, "note").send_keys("手工表抄错")
    click_and_load(browser, row.find_element(By.CSS_SELECTOR, "form.explain button[type=submit]"))
    assert "已说明：手工错误" in text_of(browser, ".flash.success")
    explanation = cells_of(browser, row_css)[7]
    assert explanation.startswith("✓ 手工错误：手工表抄错")
    assert "赵敏（manager）" in explanation
    assert "差异已全部说明" in text_of(browser, "#summary")

    folder = tmp_path / "downloads"
    save_downloads_in(browser, folder)
    browser.find_element(By.LINK_TEXT, "导出标注差异的手工报表").click()
    saved = downloaded(browser, folder)
    assert saved.name == "手工来电来访明细表.对账.xlsx"
    sheet = load_workbook(saved)["来电来访明细表"]
    headers = [c.value for c in sheet[1]]
    marked = [
        (c.row, header, c.value)
        for line in sheet.iter_rows(min_row=2)
        for header, c in zip(headers, line, strict=False)
        if c.fill.fgColor.rgb == MARKED
    ]
    assert marked == [(3, "事件内容", "问价格")]

    go_to(browser, "双轨对账")  # the run is listed, explained
    assert "差异已全部说明" in text_of(browser, "#runs")
