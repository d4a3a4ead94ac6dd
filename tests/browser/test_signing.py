"""变更单 in Chromium: the initial 项目资料 of a project waits for two signatures; the senior manager
reads the diff and signs (after mistyping the password once), then the region's GM signs and the
change set takes effect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from sync.app import Salesync
from sync.pipeline.outcome import Verdict
from tests.browser.conftest import click_and_load, go_to, text_of, wait_for
from tests.conftest import PASSWORD
from tests.signers import GM, ensure_gm
from tests.workbooks import fill_template, master_rows

ROOMS = [r["房间编码"] for r in master_rows()["房间"]]


@pytest.fixture
def pending(app: Salesync, people: dict[str, str], tmp_path: Path) -> int:
    """The operator's 项目资料 workbook, synced: a change set waiting for the senior manager and the GM."""
    ensure_gm(app)
    outcome = app.ingest(
        fill_template("project_master", master_rows(), tmp_path / "项目资料.xlsx"), "operator"
    )
    assert outcome.verdict is Verdict.ACCEPTED and outcome.change_set_id is not None, outcome.findings
    return outcome.change_set_id


def sign(browser: WebDriver, password: str) -> None:
    form = browser.find_element(By.ID, "sign")
    form.find_element(By.NAME, "password").send_keys(password)
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def open_change_set(browser: WebDriver, change_set: int) -> None:
    go_to(browser, "变更单")
    click_and_load(browser, browser.find_element(By.LINK_TEXT, f"#{change_set}"))
    assert text_of(browser, "h1").startswith(f"变更单 #{change_set}")


def test_the_senior_manager_and_the_gm_sign_and_the_change_set_takes_effect(
    portal_url: str, sign_in: Callable[..., WebDriver], pending: int
) -> None:
    browser = sign_in("senior")
    go_to(browser, "变更单")
    listed = text_of(browser, f"#change-sets tr[data-id='{pending}']")
    assert "待签" in listed and "待我签字" in listed and "王芳（operator）" in listed
    open_change_set(browser, pending)
    assert "待签" in text_of(browser, "h1")
    assert text_of(browser, "#missing") == "地区总经理、市场营销部高级经理"
    rooms = browser.find_element(  # the diff: the rooms the workbook adds, under their sheet's heading
        By.XPATH, "//h3[normalize-space()='新增的行 · 房间（8）']/following-sibling::div[1]//table"
    )
    assert [td.text for td in rooms.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child")] == ROOMS

    sign(browser, "not my password")
    assert "密码不正确，签字未记录" in text_of(browser, ".flash.error")
    assert "待签" in text_of(browser, "h1") and "尚无签字" in text_of(browser)
    assert browser.find_element(By.CSS_SELECTOR, "#sign input[name=password]").get_attribute("value") == ""

    sign(browser, PASSWORD)
    assert f"已签字，变更单 #{pending} 还需 地区总经理 签字" in text_of(browser, ".flash.success")
    assert "待签" in text_of(browser, "h1") and text_of(browser, "#missing") == "地区总经理"
    assert "陈刚（senior）" in text_of(browser, "#signatures")
    assert not browser.find_elements(By.ID, "sign")  # nothing more for them to sign
    assert f"已在变更单 #{pending} 上签过字" in text_of(browser, "#why-not")

    browser.find_element(By.CSS_SELECTOR, "header form button").click()  # 退出
    wait_for(browser, "input[name=username]")
    sign_in(GM)
    assert f"变更单 #{pending}（SZ-HW01）待签字" in text_of(browser, "#tasks")  # 我的任务
    open_change_set(browser, pending)
    sign(browser, PASSWORD)
    assert f"已签字，变更单 #{pending} 已生效" in text_of(browser, ".flash.success")
    assert "已生效" in text_of(browser, "h1")
    signatures = text_of(browser, "#signatures")
    assert "陈刚（senior）" in signatures and "刘洋（gm）" in signatures
    assert not browser.find_elements(By.ID, "missing") and not browser.find_elements(By.ID, "sign")

    click_and_load(browser, browser.find_element(By.LINK_TEXT, "返回变更单列表"))
    click_and_load(
        browser, browser.find_element(By.CSS_SELECTOR, "nav.tabs").find_element(By.LINK_TEXT, "已生效")
    )
    assert "已生效" in text_of(browser, f"#change-sets tr[data-id='{pending}']")
    go_to(browser, "楼盘表")  # and the rooms are now on the board, for sale
    assert len(browser.find_elements(By.CSS_SELECTOR, "td.room.status-可售")) == len(ROOMS)
