"""Lists that scale: every list pages, searches, filters and sorts on the server with its state in the
URL, and the manager settles or reassigns many customers at once — on real workbooks, a real database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from schema.base import SHANGHAI
from schema.models import Collision, Customer
from sync.app import Salesync
from sync.domain import accounts, worklog
from sync.pipeline.outcome import Verdict
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_token
from tests.workbooks import customer_rows, fill_template, phone

Login = Callable[..., FlaskClient]


@pytest.fixture
def crowd(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    """rep_a met 60 customers twenty days ago; rep_b has just entered the first 55 of them again
    (55 collisions, 60 dormant customers: more than one page of each)."""
    met = (dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=20)).isoformat()
    for rep, count in (("rep_a", 60), ("rep_b", 55)):
        rows = customer_rows(count, first_contact=met)
        outcome = app.ingest(fill_template("customers", rows, tmp_path / rep / "客户登记.xlsx"), rep)
        assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="周静", roles=["region_admin"], password=PASSWORD, region="SZ"
        )


def get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return unescape(response.get_data(as_text=True))


def rows(page: str, table_id: str) -> list[str]:
    if f'id="{table_id}"' not in page:
        return []
    body = page.split(f'id="{table_id}"')[1].split("</table>")[0].split("<tbody>")[1]
    return body.split("<tr")[1:]


def post(client: FlaskClient, path: str, data: dict[str, object]) -> str:
    response = client.post(path, data={**data, "csrf_token": csrf_token(client, "/")}, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return unescape(response.get_data(as_text=True))


def test_collisions_and_dormant_customers_page_apart_and_search(login: Login, crowd: None) -> None:
    client = login("manager")
    page = get(client, "/customers/")
    assert len(rows(page, "collision-list")) == 50 and len(rows(page, "dormant-list")) == 50
    assert "待处理的撞单（55）" in page and "休眠客户（60）" in page
    assert "第 1–50 项，共 55 项" in page
    second = get(client, "/customers/?cpage=2")
    assert len(rows(second, "collision-list")) == 5 and len(rows(second, "dormant-list")) == 50
    assert "/customers/?cpage=2&dpage=2" in second  # the other list keeps its page

    found = get(client, f"/customers/?q={phone(7)}")
    assert len(rows(found, "collision-list")) == 1 and len(rows(found, "dormant-list")) == 1
    evidence = found.split('class="evidence-grid"')[1].split("</div>")[0]
    assert "张丽（归属人）" in evidence and "李强（录入人）" in evidence
    # rep_a's first visit is on record; rep_b's re-entry added no event of theirs to rep_a's customer
    assert "首次来访" in evidence and '<span class="num">1</span><span class="num">0</span>' in evidence
    by_owner = get(client, "/customers/?owner=rep_b")
    assert rows(by_owner, "dormant-list") == [] and len(rows(by_owner, "collision-list")) == 50

    newest = get(client, "/customers/?sort=phone&dir=desc")
    assert phone(54) in rows(newest, "collision-list")[0] and phone(59) in rows(newest, "dormant-list")[0]
    assert 'aria-sort="descending"' in newest


def test_a_manager_settles_and_reassigns_many_at_once(app: Salesync, login: Login, crowd: None) -> None:
    client = login("manager")
    with app.transaction() as session:
        ids = {c.customer.phone: c.id for c in session.scalars(select(Collision))}
    ticked = [ids[phone(n)] for n in range(3)]
    page = post(
        client, "/customers/collisions/settle", {"action": "keep", "note": "张丽先录入", "collision": ticked}
    )
    assert "批量处理：完成 3 项，未完成 0 项" in page
    assert "待处理的撞单（52）" in page
    # a transfer without a note is refused for each item, and nothing moves
    page = post(
        client,
        "/customers/collisions/settle",
        {"action": "transfer", "note": "", "collision": [ids[phone(3)]]},
    )
    assert "转给录入人须填写处理说明" in page and "完成 0 项，未完成 1 项" in page

    page = post(
        client,
        "/customers/reassign",
        {"to": "rep_b", "reason": "长期未跟进", "phone": [phone(58), phone(59)]},
    )
    assert "完成 2 项" in page and "休眠客户（58）" in page
    with app.transaction() as session:
        owners = {p: o for p, o in session.execute(select(Customer.phone, Customer.owner_id))}
        rep_b = accounts.get_account(session, "rep_b").id
        assert owners[phone(58)] == rep_b == owners[phone(59)]
        assert {c.status for c in session.scalars(select(Collision).where(Collision.id.in_(ticked)))} == {
            "settled"
        }
        assert worklog.verify(session).ok
    response = client.post(
        "/customers/reassign", data={"to": "rep_b", "reason": "x", "csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 400 and "请先勾选" in response.get_data(as_text=True)


def test_tasks_are_paged_searched_and_kept_in_the_url(login: Login, crowd: None) -> None:
    client = login("manager")
    page = get(client, "/")
    assert "共 115 项" in page and len(rows(page, "tasks")) == 50
    assert "第 1 / 3 页" in page
    only = get(client, "/?kind=撞单&page=2")
    assert len(rows(only, "tasks")) == 5 and "撞单 55" in only
    assert re.search(r'href="/\?[^"]*kind=%E6%92%9E%E5%8D%95[^"]*page=1"', only)
    found = get(client, f"/?q={phone(9)}")
    assert len(rows(found, "tasks")) == 2  # its collision and its dormancy
    english = get(client, "/?lang=en&kind=撞单")
    assert "Collision 55" in english and ">撞单<" not in english
    assert "entered a customer of 张丽" in english and "录入了" not in english


def test_the_sync_log_searches_and_filters_by_kind(login: Login, crowd: None) -> None:
    client = login("manager")
    page = get(client, "/versions/")
    assert len(rows(page, "versions")) == 2
    assert len(rows(get(client, "/versions/?q=rep_a"), "versions")) == 1
    assert len(rows(get(client, "/versions/?q=李强"), "versions")) == 1
    assert rows(get(client, "/versions/?kind=finance"), "versions") == []
    assert "没有符合条件的版本" in get(client, "/versions/?kind=finance")
    english = get(client, "/versions/?lang=en")
    assert "All accepted" in english and ">accepted<" not in english


def test_the_work_log_viewer_filters_and_verifies(app: Salesync, login: Login, crowd: None) -> None:
    admin = login("sz_admin")
    page = get(admin, "/worklog/")
    listed = rows(page, "worklog")
    assert ">工作日志</a>" in page and len(listed) == 2 and "chain-status" not in page
    assert "<td>customer</td>" in page and "<td>customer_event</td>" in page
    one = rows(get(admin, "/worklog/?entity=customer&account=rep_a"), "worklog")
    assert len(one) == 1 and "<td>customer</td>" in one[0] and "<td>rep_a</td>" in one[0]
    assert rows(get(admin, "/worklog/?entity=customer&account=rep_b"), "worklog") == []
    # new rows are sealed by digest: the entry names its sheet's first and last key
    assert rows(get(admin, f"/worklog/?q={phone(59)}"), "worklog")
    assert rows(get(admin, "/worklog/?q=13800000000_"), "worklog") == []
    verified = get(admin, "/worklog/?verify=1")
    assert 'id="chain-status" class="run-status success"' in verified
    assert get(admin, "/worklog/?account=nobody").count("没有符合条件的日志") == 1
    assert login("manager").get("/worklog/").status_code == 403
