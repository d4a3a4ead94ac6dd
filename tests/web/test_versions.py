"""同步记录 in the portal: who sees which versions, a version's findings and its kept bytes, and the
drive's sync health for the regional admin."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from schema.models import WorkbookVersion
from sync.app import Salesync
from sync.domain import accounts
from tests.conftest import PASSWORD
from tests.workbooks import customer_rows, fill_template


@pytest.fixture
def versions(app: Salesync, people: dict[str, str], tmp_path: Path) -> dict[str, int]:
    """rep_a's clean workbook, and rep_b's with one bad phone."""
    good = app.ingest(fill_template("customers", customer_rows(3), tmp_path / "a" / "客户登记.xlsx"), "rep_a")
    rows = customer_rows(3, start=100)
    rows["客户"][1]["手机号码"] = "1380013"
    bad = app.ingest(fill_template("customers", rows, tmp_path / "b" / "客户登记.xlsx"), "rep_b")
    assert good.version_id is not None and bad.version_id is not None
    return {"rep_a": good.version_id, "rep_b": bad.version_id}


def test_a_rep_sees_their_own_versions_only(
    login: Callable[..., FlaskClient], versions: dict[str, int]
) -> None:
    client = login("rep_b")
    page = client.get("/versions/").get_data(as_text=True)
    assert "李强（rep_b）" in page and "部分接收" in page
    assert "张丽（rep_a）" not in page
    assert client.get(f"/versions/{versions['rep_a']}").status_code == 404


def test_a_version_lists_its_findings_with_cell_and_reason(
    login: Callable[..., FlaskClient], versions: dict[str, int]
) -> None:
    page = login("rep_b").get(f"/versions/{versions['rep_b']}").get_data(as_text=True)
    assert "错误 2，提醒 0" in page  # the bad phone, and the event of the customer it kept out
    table = page[page.index('id="findings"') :]
    bad_phone = table.index("phone-invalid")
    assert '<td>客户</td><td class="num">3</td><td>手机号码</td>' in table[:bad_phone]  # Excel row 3
    assert "1380013" in table and "不是有效的手机号码" in table
    assert bad_phone < table.index("event-unknown-customer")  # 客户 before 客户事件


def test_the_manager_sees_the_region(login: Callable[..., FlaskClient], versions: dict[str, int]) -> None:
    page = login("manager").get("/versions/").get_data(as_text=True)
    assert "张丽（rep_a）" in page and "李强（rep_b）" in page
    filtered = login("manager").get("/versions/?outcome=partial").get_data(as_text=True)
    assert "李强（rep_b）" in filtered and "张丽（rep_a）" not in filtered


def test_the_kept_file_downloads_byte_for_byte(
    app: Salesync, login: Callable[..., FlaskClient], versions: dict[str, int]
) -> None:
    response = login("rep_a").get(f"/versions/{versions['rep_a']}/file")
    assert response.status_code == 200
    assert (
        "filename*=UTF-8''%E5%AE%A2%E6%88%B7%E7%99%BB%E8%AE%B0.xlsx"
        in response.headers["Content-Disposition"]
    )
    with app.transaction() as session:
        version = session.get(WorkbookVersion, versions["rep_a"])
        assert version is not None
        assert hashlib.sha256(response.data).hexdigest() == version.sha256


def test_sync_health_is_for_admins_of_the_region(
    app: Salesync, login: Callable[..., FlaskClient], versions: dict[str, int]
) -> None:
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="周建国", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
    assert login("rep_a").get("/versions/health").status_code == 403
    page = login("sz_admin").get("/versions/health").get_data(as_text=True)
    assert "SZ/rep_a" in page and "SZ/rep_b" in page and "客户登记.xlsx" in page
