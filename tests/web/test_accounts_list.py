"""账号管理's list: paged, searched, filtered (role, region, status) and sorted in SQL, the state in the URL."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from schema.base import now
from sync.app import Salesync
from sync.domain import accounts
from tests.conftest import PASSWORD

Login = Callable[..., FlaskClient]
ROW = re.compile(r'data-username="([^"]+)"')


def test_accounts_page_search_and_filter(app: Salesync, login: Login, people: dict[str, str]) -> None:
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="周静", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
        for i in range(60):
            made = accounts.add_user(
                session,
                f"rep{i:02d}",
                name=f"顾问{i:02d}",
                roles=["sales_rep"],
                password=PASSWORD,
                region="SZ",
            )
            if i % 10 == 0:
                made.active, made.disabled_at = False, now()
    client = login("sz_admin")

    def names(query: str) -> list[str]:
        response = client.get(f"/admin/{query}")
        assert response.status_code == 200, query
        return ROW.findall(response.get_data(as_text=True))

    first = names("")
    assert len(first) == 50 and first == sorted(first)
    assert len(names("?page=2")) >= 10 and not set(names("?page=2")) & set(first)
    assert names("?q=顾问05") == ["rep05"]
    assert names("?q=rep1&status=disabled") == ["rep10"]
    assert set(names("?status=disabled")) == {f"rep{i:02d}" for i in range(0, 60, 10)}
    assert names("?role=region_admin") == ["sz_admin"]
    assert names("?sort=username&dir=desc")[0] == "sz_admin"
    assert "rep_a" not in names("?role=sales_manager")
