"""Who sees which projects, the same on every page: the region, a project-limited account, the group."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from schema.models import Account, Project
from sync.app import Salesync
from sync.domain import accounts
from tests.conftest import PASSWORD
from web.auth import PortalUser, project_limits


@pytest.fixture
def projects(app: Salesync, people: dict[str, str]) -> None:
    """Two projects in SZ, one in GZ, and a sales manager limited to the first SZ project."""
    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
        for code, name, region in [
            ("SZ-A01", "海湾一期", "SZ"),
            ("SZ-B02", "山景二期", "SZ"),
            ("GZ-C03", "天河三期", "GZ"),
        ]:
            session.add(Project(code=code, name=name, region_code=region, pricing_basis="建筑面积"))
        session.flush()
        accounts.add_user(
            session,
            "a_manager",
            name="钱进",
            roles=["sales_manager"],
            password=PASSWORD,
            region="SZ",
            projects=["SZ-A01"],
        )
        accounts.add_user(session, "boss", name="郑总", roles=["executive"], password=PASSWORD)


def test_a_region_manager_sees_the_regions_projects(
    login: Callable[..., FlaskClient], projects: None
) -> None:
    page = login("manager").get("/board/").get_data(as_text=True)
    assert "SZ-A01" in page and "SZ-B02" in page and "GZ-C03" not in page


def test_a_project_limited_manager_sees_only_their_project(
    login: Callable[..., FlaskClient], projects: None
) -> None:
    client = login("a_manager")
    for path in ("/board/", "/reports/", "/reconcile/"):
        page = client.get(path).get_data(as_text=True)
        assert "SZ-A01" in page, path
        assert "SZ-B02" not in page and "GZ-C03" not in page, path
    assert "region:SZ" not in client.get("/reports/").get_data(as_text=True)  # not the whole region
    assert client.get("/board/?project=SZ-B02").status_code == 404
    assert client.get("/reports/?report=sales_detail&scope=region:SZ").status_code == 404


def test_the_group_sees_every_region(login: Callable[..., FlaskClient], projects: None) -> None:
    page = login("boss").get("/board/").get_data(as_text=True)
    assert all(code in page for code in ("SZ-A01", "SZ-B02", "GZ-C03"))


def test_project_limits_follow_the_roles(app: Salesync, projects: None) -> None:
    with app.transaction() as session:
        limited = session.query(Account).filter_by(username="a_manager").one()
        assert project_limits(limited) == frozenset({"SZ-A01"})
        assert PortalUser.of(limited).projects == frozenset({"SZ-A01"})
        whole = session.query(Account).filter_by(username="manager").one()
        assert project_limits(whole) is None
