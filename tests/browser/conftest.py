"""A real browser against a real portal: Debian's Chromium, driven through ChromeDriver, opening
the portal that waitress serves on a free port of 127.0.0.1 over the test's real database.

Without Chromium the browser tests are skipped on a developer's machine, and fail under CI
(``CI=true``), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from sync.app import Salesync
from tests.conftest import PASSWORD
from web.server import Portal

WAIT = 300  # a ceiling only a failure reaches: a busy 2-core CI machine can take long to render a page


def _executables() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    message = "Chromium and ChromeDriver are needed (Debian: apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def portal_url(app: Salesync) -> Iterator[str]:
    portal = Portal(app, host="127.0.0.1", port=0, threads=2).start()
    try:
        yield portal.url
    finally:
        portal.stop()


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    binary, driver_path = _executables()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",  # no calls home: the machine has no internet
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1400,1000",
        "--lang=zh-CN",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(browser: WebDriver, css: str) -> None:
    WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def text_of(browser: WebDriver, css: str = "main") -> str:
    wait_for(browser, css)
    return str(browser.find_element(By.CSS_SELECTOR, css).text)


@pytest.fixture
def sign_in(browser: WebDriver, portal_url: str) -> Callable[..., WebDriver]:
    """Open the portal and sign in through its form, as a user does."""

    def do(username: str, password: str = PASSWORD) -> WebDriver:
        browser.get(portal_url + "login")
        wait_for(browser, "input[name=username]")
        browser.find_element(By.NAME, "username").send_keys(username)
        browser.find_element(By.NAME, "password").send_keys(password)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(browser, WAIT).until(lambda b: "/login" not in b.current_url)
        return browser

    return do


# -- shared by the workflow tests ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _portal_outlives_the_browser(portal_url: str) -> None:
    """Start the portal before the browser, so that it stops after it: stopping waitress while
    Chromium still holds a keep-alive connection waits out the server thread's 5-second join."""


def other_origin(portal_url: str) -> str:
    """The same portal under another host name: the browser keeps a separate session there, as a
    second person at another desk would have."""
    return portal_url.replace("://127.0.0.1:", "://localhost:")


def sign_in_at(browser: WebDriver, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form of the portal at ``base_url``."""
    browser.get(base_url + "login")
    wait_for(browser, "input[name=username]")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(lambda b: "/login" not in b.current_url)


def choose_own_password(browser: WebDriver, current: str, new: str) -> None:
    """On the page every sign-in with an admin's one-time password leads to: set one's own."""
    assert "/account/password" in browser.current_url, browser.current_url
    form = browser.find_element(By.ID, "change-password")
    form.find_element(By.NAME, "current").send_keys(current)
    form.find_element(By.NAME, "password").send_keys(new)
    form.find_element(By.NAME, "password2").send_keys(new)
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def click_and_load(browser: WebDriver, element: WebElement) -> None:
    """Click a link or a form's button and wait until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    # While the old page is torn down ChromeDriver may answer with a bare WebDriverException ("Node
    # with given id does not belong to the document") rather than a stale element: ask again.
    WebDriverWait(browser, WAIT, ignored_exceptions=[WebDriverException]).until(ec.staleness_of(page))
    wait_for(browser, "main")


def go_to(browser: WebDriver, words: str) -> None:
    """Open a part of the portal through the header's navigation, as it is labelled."""
    click_and_load(
        browser, browser.find_element(By.CSS_SELECTOR, "header nav").find_element(By.LINK_TEXT, words)
    )


def type_date(field: WebElement, day: str) -> None:
    """Type an ISO date into an ``<input type=date>`` the way a user does: field by field, in the order
    the browser's own locale lays them out (year first in Chinese, month first in American English)."""
    order = field.parent.execute_script(
        "return new Intl.DateTimeFormat().formatToParts(new Date(2001, 1, 3))"
        ".filter(p => p.type !== 'literal').map(p => p.type)"
    )
    year, month, date = day.split("-")
    parts = {"year": year, "month": month, "day": date}
    keys = ""
    for i, part in enumerate(order):
        keys += parts[part]
        if part == "year" and i < len(order) - 1:
            keys += Keys.ARROW_RIGHT  # a year may have more digits: step on to the next field
    field.send_keys(keys)
    assert field.get_attribute("value") == day, (field.get_attribute("value"), day, order)


def save_downloads_in(browser: WebDriver, folder: Path) -> None:
    """Let the browser save downloads without asking, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    browser.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )


def downloaded(browser: WebDriver, folder: Path, suffix: str = ".xlsx") -> Path:
    """The one file the browser has finished saving in ``folder``."""

    def done(_browser: WebDriver) -> Path | Literal[False]:
        files = list(folder.iterdir())
        found = [f for f in files if f.name.endswith(suffix)]
        if len(found) != 1 or any(f.name.endswith(".crdownload") for f in files):
            return False
        return found[0]

    return WebDriverWait(browser, WAIT).until(done)
