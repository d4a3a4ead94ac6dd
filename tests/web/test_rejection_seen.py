"""The operator sees a rejection: a task on 我的任务 (until the workbook is saved again) and the change
set's status beside the version on 同步记录."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from pathlib import Path

from flask.testing import FlaskClient

from sync.app import Salesync
from sync.domain import signing
from tests.conftest import PASSWORD
from tests.web.test_changes_portal import later_change, repriced, submit

Login = Callable[..., FlaskClient]


def test_the_operator_is_told_of_a_rejection_until_saving_again(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path)
    with app.transaction() as session:
        signing.reject(session, cs, "senior", PASSWORD, "单价与定价审批表不符")
    operator = login("operator")
    home = unescape(operator.get("/").get_data(as_text=True))
    assert f'href="/changes/{cs}">#{cs}</a>' in home
    assert "已被 陈刚 驳回：单价与定价审批表不符" in home
    log = unescape(operator.get("/versions/").get_data(as_text=True))
    assert f'href="/changes/{cs}">变更单 #{cs}</a> <span class="tag rejected">已驳回</span>' in log
    english = unescape(operator.get("/?lang=en").get_data(as_text=True))
    assert "Change set rejected" in english

    again = submit(app, tmp_path / "v33500.xlsx", repriced(33500))
    assert again != cs
    assert "驳回：" not in unescape(operator.get("/").get_data(as_text=True))
