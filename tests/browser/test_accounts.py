"""账号管理 in Chromium: a regional admin creates a sales rep, who signs in at their own desk; the
admin disables the rep, whose next page load is the sign-in page."""

from __future__ import annotations

from collections.abc import Callable

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

NEW_PASSWORD = "spring rain 2026"
OWN_PASSWORD = "autumn leaves 2026"


@pytest.fixture
def region_admin(app: Salesync, people: dict[str, str]) -> str:
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="何静", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
    return "sz_admin"


def fill_in(browser: WebDriver, name: str, text: str) -> None:
    field = browser.find_element(By.CSS_SELECTOR, f"#new-user input[name={name}]")
    field.clear()
    field.send_keys(text)


def test_an_admin_creates_a_rep_who_signs_in_and_is_then_disabled(
    portal_url: str, sign_in: Callable[..., WebDriver], region_admin: str
) -> None:
    browser = sign_in(region_admin)
    go_to(browser, "账号管理")
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "新建用户"))
    assert "深圳地区公司（SZ）" in text_of(browser, "#new-user")  # the region is the admin's own
    roles = [label.text for label in browser.find_elements(By.CSS_SELECTOR, "#new-user fieldset label")]
    assert "销售代表" in roles and "集团系统管理员" not in roles and "地区系统管理员" not in roles

    fill_in(browser, "username", "rep_c")
    fill_in(browser, "name", "孙悦")
    browser.find_element(By.XPATH, "//fieldset//label[normalize-space()='销售代表']").click()
    fill_in(browser, "password", NEW_PASSWORD)
    fill_in(browser, "password2", NEW_PASSWORD + "!")  # a slip of the finger
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#new-user button[type=submit]"))
    assert "两次输入的密码不一致" in text_of(browser, ".flash.error")
    kept = [browser.find_element(By.NAME, n).get_attribute("value") for n in ("username", "name")]
    assert kept == ["rep_c", "孙悦"]  # what was typed is kept, except the passwords
    assert browser.find_element(By.CSS_SELECTOR, "input[name=roles][value=sales_rep]").is_selected()

    fill_in(browser, "password", NEW_PASSWORD)
    fill_in(browser, "password2", NEW_PASSWORD)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#new-user button[type=submit]"))
    assert "已新建用户 rep_c" in text_of(browser, ".flash.success")
    row = text_of(browser, "#accounts tr[data-username=rep_c]")
    assert "孙悦" in row and "销售代表" in row and "启用" in row and region_admin in row
    admin_window = browser.current_window_handle

    # The rep, in a session of their own.
    browser.switch_to.new_window("window")
    rep_window = browser.current_window_handle
    desk = other_origin(portal_url)
    sign_in_at(browser, desk, "rep_c", NEW_PASSWORD)
    choose_own_password(browser, NEW_PASSWORD, OWN_PASSWORD)  # the admin's password was one-time
    assert "密码已修改" in text_of(browser, ".flash.success")
    assert "孙悦（rep_c）" in text_of(browser, "header .who")
    go_to(browser, "楼盘表")
    assert "/board/" in browser.current_url

    browser.switch_to.window(admin_window)
    assert "何静（sz_admin）" in text_of(browser, "header .who")  # still the admin here
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "rep_c"))
    disable = browser.find_element(By.CSS_SELECTOR, "#disable button[type=submit]")
    disable.click()  # not confirmed: the browser does not send the form
    confirm = browser.find_element(By.CSS_SELECTOR, "#disable input[name=confirm]")
    assert browser.execute_script("return arguments[0].validity.valueMissing", confirm)
    assert "/users/rep_c" in browser.current_url and not browser.find_elements(By.CSS_SELECTOR, ".flash")
    confirm.click()
    click_and_load(browser, disable)
    assert "已停用用户 rep_c" in text_of(browser, ".flash.success")
    assert "已停用" in text_of(browser, "#accounts tr[data-username=rep_c]")
    row_class = browser.find_element(By.CSS_SELECTOR, "#accounts tr[data-username=rep_c]").get_attribute(
        "class"
    )
    assert "disabled" in (row_class or "")

    browser.switch_to.window(rep_window)
    go_to(browser, "我的任务")  # the rep's next page load
    assert "/login" in browser.current_url
    wait_for(browser, "input[name=username]")
    assert "请先登录" in text_of(browser, ".flash")
    browser.find_element(By.NAME, "username").send_keys("rep_c")
    browser.find_element(By.NAME, "password").send_keys(OWN_PASSWORD)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "账号或密码不正确，或账号已停用" in text_of(browser, ".flash.error")
    assert desk in browser.current_url
