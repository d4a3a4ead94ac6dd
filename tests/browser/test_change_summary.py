"""A signer in Chromium opens a change set from 我的任务 and reads its summary beside the sign form,
before the diff: one room re-priced, the total value change, then signs there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from sync.app import Salesync
from tests.browser.conftest import click_and_load, text_of
from tests.conftest import PASSWORD
from tests.web.test_changes_portal import later_change


def test_a_signer_reads_the_summary_and_signs_beside_it(
    app: Salesync, people: dict[str, str], sign_in: Callable[..., WebDriver], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path, price=33000)
    browser = sign_in("senior")
    click_and_load(browser, browser.find_element(By.LINK_TEXT, f"#{cs}"))
    summary = browser.find_element(By.ID, "summary")
    form = browser.find_element(By.ID, "sign")
    assert text_of(browser, "#rooms-repriced") == "1" and text_of(browser, "#value-change").startswith("+")
    # side by side on a desktop: the form starts level with the summary, both above the diff
    assert abs(summary.location["y"] - form.location["y"]) < 80
    assert form.location["x"] > summary.location["x"] + summary.size["width"] - 5
    assert browser.find_element(By.ID, "changed").location["y"] > form.location["y"]
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert f"变更单 #{cs} 已生效" in text_of(browser)
