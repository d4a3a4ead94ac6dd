"""Malformed parameters answer 400 or 404, never 500 (issue: huge ``page`` values and extreme dates
gave server errors)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

Login = Callable[..., FlaskClient]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/versions/?page=99999999999999999999", 400),
        ("/versions/?page=-1", 400),
        ("/versions/?page=abc", 400),
        ("/versions/?page=999999", 200),  # past the last page: an empty page
        ("/reconcile/?page=1e9", 400),
        ("/versions/99999999999999999999", 404),
        ("/versions/2147483648/file", 404),
        ("/changes/99999999999999999999", 404),
        ("/reconcile/99999999999999999999", 404),
        ("/reports/?report=sales_detail&scope=region:SZ&from=0001-01-01&to=9999-12-31", 400),
        ("/reports/?report=sales_detail&scope=region:SZ&from=2026-13-45", 400),
        ("/reconcile/?gap_from=0001-01-01&gap_to=9999-12-31", 200),
    ],
)
def test_malformed_parameters(login: Login, people: dict[str, str], path: str, expected: int) -> None:
    client = login("manager")
    response = client.get(path)
    assert response.status_code == expected, (path, response.status_code)
    if path.startswith("/reports/"):
        assert "无法识别" in response.get_data(as_text=True)  # the date is refused in words


def test_an_admin_page_with_a_huge_id(app: object, login: Login, people: dict[str, str]) -> None:
    from sync.app import Salesync
    from sync.domain import accounts
    from tests.conftest import PASSWORD

    assert isinstance(app, Salesync)
    with app.transaction() as session:
        accounts.add_user(session, "hq", name="hq", roles=["group_admin"], password=PASSWORD)
    client = login("hq")
    assert client.get("/admin/users/" + "x" * 5000).status_code == 404
    assert client.get("/versions/health?page=" + "9" * 30).status_code == 400
