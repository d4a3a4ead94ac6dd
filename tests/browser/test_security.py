"""Sign-in and signing under attack, in Chromium: a regional admin cannot make themselves a second
signer (the form offers no signing role; a password they reset is one-time and cannot sign), and
signing out in one place ends the session at another desk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from sync.app import Salesync
from sync.domain import accounts
from tests.browser.conftest import (
    choose_own_password,
    click_and_load,
    go_to,
    other_origin,
    sign_in_at,
    text_of,
    wait_for,
)
from tests.conftest import PASSWORD
from tests.web.test_changes_portal import later_change, status

ADMIN_SET = "temporary words 42"
OWN = "the owner's own 2026"


@pytest.fixture
def region_admin(app: Salesync, people: dict[str, str]) -> str:
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="何静", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
    return "sz_admin"


def sign_out(browser: WebDriver) -> None:
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "header form button"))
    wait_for(browser, "input[name=username]")


def test_a_regional_admin_cannot_sign_a_price_change_alone(
    app: Salesync, portal_url: str, sign_in: Callable[..., WebDriver], region_admin: str, tmp_path: Path
) -> None:
    change = later_change(app, tmp_path)  # one senior manager's signature applies it
    browser = sign_in(region_admin)
    go_to(browser, "账号管理")
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "新建用户"))
    roles = [label.text for label in browser.find_elements(By.CSS_SELECTOR, "#new-user fieldset label")]
    assert "销售代表" in roles and "市场营销部高级经理" not in roles and "地区总经理" not in roles

    # The admin resets the senior manager's password instead, and signs in as them.
    browser.get(portal_url + "admin/users/senior")
    form = browser.find_element(By.ID, "reset-password")
    form.find_element(By.NAME, "password").send_keys(ADMIN_SET)
    form.find_element(By.NAME, "password2").send_keys(ADMIN_SET)
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "已重设 senior 的密码" in text_of(browser, ".flash.success")
    sign_out(browser)

    sign_in(("senior"), ADMIN_SET)
    assert "管理员设置" in text_of(browser, ".flash")  # the one-time password must go first
    choose_own_password(browser, ADMIN_SET, OWN)
    browser.get(portal_url + f"changes/{change}")
    why = text_of(browser, "#why-not")
    assert "密码由管理员设置" in why
    assert not browser.find_elements(By.ID, "sign")
    assert status(app, change) == ("待签", 0)


def test_a_signer_whose_account_others_try_to_guess_still_signs(
    app: Salesync, portal_url: str, sign_in: Callable[..., WebDriver], people: dict[str, str], tmp_path: Path
) -> None:
    change = later_change(app, tmp_path)
    browser = sign_in("senior")
    browser.switch_to.new_window("window")
    guesser = browser.current_window_handle
    desk = other_origin(portal_url)
    for _ in range(6):  # someone else, at another desk, guessing the senior manager's password
        browser.get(desk + "login")
        wait_for(browser, "input[name=username]")
        browser.find_element(By.NAME, "username").send_keys("senior")
        browser.find_element(By.NAME, "password").send_keys("a guess 12345")
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "登录失败次数过多" in text_of(browser, ".flash.error")
    browser.close()
    browser.switch_to.window(browser.window_handles[0])
    assert guesser not in browser.window_handles

    browser.get(portal_url + f"changes/{change}")
    form = browser.find_element(By.ID, "sign")
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert f"变更单 #{change} 已生效" in text_of(browser, ".flash.success")


def test_signing_out_ends_the_session_at_the_other_desk(
    portal_url: str, browser: WebDriver, people: dict[str, str]
) -> None:
    sign_in_at(browser, portal_url, "manager")
    first = browser.current_window_handle
    browser.switch_to.new_window("window")
    desk = other_origin(portal_url)
    sign_in_at(browser, desk, "manager")
    assert "赵敏（manager）" in text_of(browser, "header .who")
    browser.switch_to.window(first)
    sign_out(browser)
    browser.switch_to.window(browser.window_handles[1])
    browser.get(desk)
    wait_for(browser, "input[name=username]")
    assert "/login" in browser.current_url
