"""A controller's missing reconciliation checks are on 我的任务: one task per project, report and
cadence, with how many are missing and a link to the cadence table."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from pathlib import Path

from flask.testing import FlaskClient

from sync.app import Salesync
from tests.deals import PROJECT
from tests.manual_reports import synced_visits


def test_missing_checks_are_tasks(
    app: Salesync, login: Callable[..., FlaskClient], people: dict[str, str], tmp_path: Path
) -> None:
    synced_visits(app, people, tmp_path, 1)  # the project exists
    page = unescape(login("manager").get("/?kind=对账缺失").get_data(as_text=True))
    assert "对账缺失" in page and f"来电来访明细表（{PROJECT}）缺 " in page and "次每日对账" in page
    assert f'href="/reconcile/?gap_project={PROJECT}#cadence"' in page
    assert "对账缺失" not in unescape(login("rep_a").get("/").get_data(as_text=True))
    english = unescape(login("manager").get("/?lang=en").get_data(as_text=True))
    assert "Missing check" in english and "daily checks missing, the first" in english
    assert "缺 " not in english
