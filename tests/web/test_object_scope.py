"""Scope on every object (issue: project-limited accounts listed and downloaded every workbook of
their region): a project-limited account sees only its projects' versions, files, runs and
change sets; whatever it may not see answers 404."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from schema.models import Project
from sync.app import Salesync
from sync.domain import accounts
from tests.conftest import PASSWORD
from tests.deals import PROJECT
from tests.web.test_reconcile_portal import manual_report, run_id_of, upload
from tests.workbooks import customer_rows, fill_template, master_rows, phone

Login = Callable[..., FlaskClient]


@pytest.fixture
def limited(app: Salesync, people: dict[str, str]) -> None:
    """Two more SZ projects; a manager, a rep and a senior manager limited to SZ-A01, a rep to SZ-B02."""
    with app.transaction() as session:
        for code, name in [("SZ-A01", "海湾一期"), ("SZ-B02", "山景二期")]:
            session.add(Project(code=code, name=name, region_code="SZ", pricing_basis="建筑面积"))
        session.flush()
        for username, roles, project in [
            ("a_manager", ["sales_manager"], "SZ-A01"),
            ("a_rep", ["sales_rep"], "SZ-A01"),
            ("a_senior", ["senior_manager"], "SZ-A01"),
            ("b_rep", ["sales_rep"], "SZ-B02"),
        ]:
            accounts.add_user(
                session,
                username,
                name=username,
                roles=roles,
                password=PASSWORD,
                region="SZ",
                projects=[project],
            )


def test_versions_and_their_files(app: Salesync, login: Login, limited: None, tmp_path: Path) -> None:
    ids = {}
    for i, username in enumerate(["a_rep", "b_rep", "rep_a"]):
        path = fill_template(
            "customers", customer_rows(2, start=10 * i), tmp_path / username / "客户登记.xlsx"
        )
        outcome = app.ingest(path, username)
        assert outcome.version_id is not None
        ids[username] = outcome.version_id
    client = login("a_manager")
    page = client.get("/versions/").get_data(as_text=True)
    assert "a_rep" in page and "b_rep" not in page and "张丽（rep_a）" not in page
    assert client.get(f"/versions/{ids['a_rep']}/file").status_code == 200
    for other in ("b_rep", "rep_a"):
        assert client.get(f"/versions/{ids[other]}").status_code == 404
        assert client.get(f"/versions/{ids[other]}/file").status_code == 404
    whole = login("manager").get("/versions/").get_data(as_text=True)  # the region's manager: all
    assert all(name in whole for name in ("a_rep", "b_rep", "张丽（rep_a）"))


def test_reconciliation_runs_of_another_project(login: Login, limited: None, tmp_path: Path) -> None:
    row = {"事件时间": "2026-11-12 09:00", "客户手机": phone(7), "事件类型": "首次来访", "客户姓名": "周航"}
    manager = login("manager")
    run_id = run_id_of(upload(manager, manual_report(tmp_path, [row], project="SZ-B02")))
    client = login("a_manager")
    assert "SZ-B02" not in client.get("/reconcile/").get_data(as_text=True)
    assert client.get(f"/reconcile/{run_id}").status_code == 404
    assert client.get(f"/reconcile/{run_id}/export").status_code == 404


def test_change_sets_of_another_project(app: Salesync, login: Login, limited: None, tmp_path: Path) -> None:
    outcome = app.ingest(
        fill_template("project_master", master_rows(), tmp_path / "项目资料.xlsx"), "operator"
    )
    assert outcome.change_set_id is not None
    client = login("a_senior")
    assert f"#{outcome.change_set_id}" not in client.get("/changes/").get_data(as_text=True)
    assert client.get(f"/changes/{outcome.change_set_id}").status_code == 404
    assert PROJECT not in client.get("/board/").get_data(as_text=True)
    assert f"#{outcome.change_set_id}" in login("senior").get("/changes/").get_data(as_text=True)
