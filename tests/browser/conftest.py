"""A real browser against a real portal: Debian's Chromium, driven through ChromeDriver, opening
the portal that waitress serves on a free port of 127.0.0.1 over the test's real database.

Without Chromium the browser tests are skipped on a developer's machine, and fail under CI
(``CI=true``), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from sync.app import Salesync
from tests.conftest import PASSWORD
from web.server import Portal

WAIT = 10  # seconds a page may take to show what a test waits for


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
