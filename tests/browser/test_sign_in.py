"""Signing in, the role-shaped navigation, the language switch and signing out, in Chromium."""

from __future__ import annotations

from collections.abc import Callable

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.conftest import text_of, wait_for


def test_sign_in_and_out(sign_in: Callable[..., WebDriver], people: dict[str, str], portal_url: str) -> None:
    browser = sign_in("manager")
    assert "我的任务" in text_of(browser, "h1")
    nav = text_of(browser, "header nav")
    assert "报表" in nav and "楼盘表" in nav and "双轨对账" in nav
    assert "账号管理" not in nav
    browser.find_element(By.CSS_SELECTOR, "header form button").click()  # 退出
    wait_for(browser, "input[name=username]")
    browser.get(portal_url)
    assert "/login" in browser.current_url


def test_wrong_password_stays_on_the_form(
    browser: WebDriver, portal_url: str, people: dict[str, str]
) -> None:
    browser.get(portal_url + "login")
    wait_for(browser, "input[name=username]")
    browser.find_element(By.NAME, "username").send_keys("rep_a")
    browser.find_element(By.NAME, "password").send_keys("not the password")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    assert "账号或密码不正确" in text_of(browser, ".flash.error")
    assert browser.find_element(By.NAME, "username").get_attribute("value") == "rep_a"


def test_language_switch(sign_in: Callable[..., WebDriver], people: dict[str, str]) -> None:
    browser = sign_in("rep_a")
    browser.find_element(By.LINK_TEXT, "English").click()
    assert text_of(browser, "h1").startswith("My tasks")
    browser.find_element(By.CSS_SELECTOR, "header nav a").click()  # the choice is remembered
    assert text_of(browser, "h1").startswith("My tasks")
    assert "Room board" in text_of(browser, "header nav")
