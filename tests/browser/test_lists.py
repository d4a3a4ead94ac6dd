"""The day's main paths in Chromium: a rep checks a phone before entering it (查重), a manager pages and
filters the 客户归属 lists and settles in bulk, a controller explains many mismatches at once, and the
pages fit a 390 px phone without sideways scrolling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from schema.base import SHANGHAI
from sync.app import Salesync
from sync.domain import accounts
from sync.pipeline.outcome import Verdict
from tests.browser.conftest import click_and_load, go_to, text_of
from tests.conftest import PASSWORD
from tests.manual_reports import REPORT_NAME, manual_report_file, synced_visits
from tests.workbooks import customer_rows, fill_template, phone


@pytest.fixture
def crowd(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    """rep_a met 60 customers twenty days ago; rep_b entered the first 55 again; a regional admin."""
    met = (dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=20)).isoformat()
    for rep, count in (("rep_a", 60), ("rep_b", 55)):
        rows = customer_rows(count, first_contact=met)
        outcome = app.ingest(fill_template("customers", rows, tmp_path / rep / "客户登记.xlsx"), rep)
        assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="周静", roles=["region_admin"], password=PASSWORD, region="SZ"
        )


def submit(browser: WebDriver, form_css: str) -> None:
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, f"{form_css} button[type=submit]"))


def test_a_rep_checks_a_phone_before_entering_it(sign_in: Callable[..., WebDriver], crowd: None) -> None:
    browser = sign_in("rep_b")
    go_to(browser, "查重")
    field = browser.find_element(By.CSS_SELECTOR, "#check-form input[name=q]")
    field.send_keys(f"{phone(58)[:3]} {phone(58)[3:7]} {phone(58)[7:]}")  # as people type it
    submit(browser, "#check-form")
    said = text_of(browser, "#check-answer")
    assert "已登记：归属 张丽" in said and "再次录入会记为撞单" in said
    field = browser.find_element(By.CSS_SELECTOR, "#check-form input[name=q]")
    field.clear()
    field.send_keys(phone(99))
    submit(browser, "#check-form")
    assert "尚未登记，可以录入" in text_of(browser, "#check-answer")


def test_a_manager_pages_filters_and_settles_in_bulk(sign_in: Callable[..., WebDriver], crowd: None) -> None:
    browser = sign_in("manager")
    go_to(browser, "客户归属")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#collision-list tbody tr")) == 50
    pager = browser.find_element(
        By.XPATH, "//table[@id='collision-list']/../following-sibling::p[@class='pager']"
    )
    click_and_load(browser, pager.find_element(By.PARTIAL_LINK_TEXT, "下一页"))
    assert "cpage=2" in browser.current_url
    assert len(browser.find_elements(By.CSS_SELECTOR, "#collision-list tbody tr")) == 5

    Select(browser.find_element(By.CSS_SELECTOR, "#customer-filters select[name=owner]")).select_by_value(
        "rep_a"
    )
    search = browser.find_element(By.CSS_SELECTOR, "#customer-filters input[name=q]")
    search.send_keys(phone(3)[:10])  # customers 30–39
    submit(browser, "#customer-filters")
    assert "owner=rep_a" in browser.current_url
    rows = browser.find_elements(By.CSS_SELECTOR, "#collision-list tbody tr")
    assert len(rows) == 10
    for row in rows[:4]:
        row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    browser.find_element(By.CSS_SELECTOR, "#bulk-settle input[name=note]").send_keys("张丽先录入")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#bulk-settle button[value=keep]"))
    assert "批量处理：完成 4 项，未完成 0 项" in text_of(browser)
    assert "待处理的撞单（51）" in text_of(browser)


def test_a_controller_explains_many_mismatches_at_once(
    app: Salesync, people: dict[str, str], sign_in: Callable[..., WebDriver], tmp_path: Path
) -> None:
    by_hand = synced_visits(app, people, tmp_path, 3)
    for row in by_hand:
        row["事件内容"] = "问价格"
    report = manual_report_file(by_hand, tmp_path / "desktop" / REPORT_NAME)
    browser = sign_in("manager")
    go_to(browser, "双轨对账")
    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(report))
    submit(browser, "#upload")
    assert "3 项待说明" in text_of(browser, "#summary")
    rows = browser.find_elements(By.CSS_SELECTOR, "#mismatches tbody tr")
    for row in rows[:2]:
        row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    Select(browser.find_element(By.CSS_SELECTOR, "#bulk-explain select[name=reason]")).select_by_value(
        "录入延迟"
    )
    submit(browser, "#bulk-explain")
    assert "已说明 2 项差异：录入延迟" in text_of(browser)
    assert "1 项待说明" in text_of(browser, "#summary")


PHONE_PAGES = {
    "manager": ["/", "/customers/", "/versions/", "/mine/check?q=13900000001"],
    "rep_a": ["/", "/mine/", "/mine/check"],
    "sz_admin": ["/worklog/", "/versions/?lang=en"],
}


def test_the_pages_fit_a_phone(portal_url: str, browser: WebDriver, crowd: None) -> None:
    browser.set_window_size(390, 844)
    width = browser.execute_script("return window.innerWidth")
    for username, paths in PHONE_PAGES.items():
        browser.delete_all_cookies()
        browser.get(portal_url + "login")
        browser.find_element(By.NAME, "username").send_keys(username)
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        submit(browser, "form")
        for path in paths:
            browser.get(portal_url + path.lstrip("/"))
            text_of(browser)
            scroll = browser.execute_script("return document.documentElement.scrollWidth")
            assert scroll <= width, (username, path, scroll, width)
