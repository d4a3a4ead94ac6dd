"""客户归属 in the portal: a sales manager settles collisions (撞单) and reassigns dormant customers
through the forms, on customers two reps entered in real workbooks; refusals are words on the page."""

from __future__ import annotations

import datetime as dt
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
def collided(app: Salesync, people: dict[str, str], tmp_path: Path) -> dict[str, int]:
    """rep_a met customers 0–2 twenty days ago and has not been in touch since; rep_b has just
    entered customers 0 and 1 again. GZ is a second region with a manager. Collision ids by phone."""
    met = (dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=20)).isoformat()
    for rep, count in (("rep_a", 3), ("rep_b", 2)):
        rows = customer_rows(count, first_contact=met)
        outcome = app.ingest(fill_template("customers", rows, tmp_path / rep / "客户登记.xlsx"), rep)
        assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
        accounts.add_user(
            session, "gz_manager", name="孙伟", roles=["sales_manager"], password=PASSWORD, region="GZ"
        )
        return {c.customer.phone: c.id for c in session.scalars(select(Collision))}


def post(client: FlaskClient, path: str, **data: str) -> tuple[int, str]:
    token = csrf_token(client, "/")
    response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)
    return response.status_code, unescape(response.get_data(as_text=True))


def section(page: str, table_id: str) -> str:
    return page.split(f'id="{table_id}"')[1].split("</table>")[0] if f'id="{table_id}"' in page else ""


def state(app: Salesync, number: int) -> tuple[str, list[str]]:
    """The owner of customer ``number`` and the statuses of its collisions."""
    with app.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.phone == phone(number))).one()
        statuses = session.scalars(select(Collision.status).where(Collision.customer_id == customer.id))
        return customer.owner.username, list(statuses)


def test_a_manager_settles_collisions_through_the_page(
    app: Salesync, login: Login, collided: dict[str, int]
) -> None:
    client = login("manager")
    page = unescape(client.get("/customers/").get_data(as_text=True))
    assert ">客户归属</a>" in page  # in the navigation
    listed = section(page, "collision-list")
    assert listed.count("张丽（rep_a）") == 2 and listed.count("李强（rep_b）") == 2
    assert phone(0) in listed and phone(1) in listed and 'value="transfer"' in listed

    first, second = collided[phone(0)], collided[phone(1)]
    code, page = post(client, f"/customers/collisions/{first}/settle", action="transfer", note=" ")
    assert code == 400 and "转给录入人须填写处理说明" in page
    assert state(app, 0) == ("rep_a", ["open"])

    code, page = post(client, f"/customers/collisions/{first}/settle", action="keep", note="张丽先录入")
    assert code == 200 and "已处理撞单" in page and f"（{phone(0)}）维持归属 张丽（rep_a）" in page
    assert state(app, 0) == ("rep_a", ["settled"])
    code, page = post(
        client, f"/customers/collisions/{second}/settle", action="transfer", note="李强一直在跟"
    )
    assert code == 200 and "转给录入人 李强（rep_b）" in page
    assert state(app, 1) == ("rep_b", ["transferred"])
    assert "没有待处理的撞单" in page

    code, page = post(client, f"/customers/collisions/{second}/settle", action="keep")
    assert code == 409 and "已于" in page and "由 manager 处理（转给录入人）" in page
    code, page = post(client, "/customers/collisions/999/settle", action="keep")
    assert code == 404 and "撞单记录 #999 不存在" in page
    with app.transaction() as session:
        assert worklog.verify(session).ok


def test_a_manager_reassigns_a_dormant_customer_through_the_page(
    app: Salesync, login: Login, collided: dict[str, int]
) -> None:
    client = login("manager")
    page = unescape(client.get("/customers/").get_data(as_text=True))
    dormant = section(page, "dormant-list")
    assert [phone(n) in dormant for n in range(3)] == [True] * 3
    row = dormant.split(f'id="dormant-{phone(2)}"')[1].split("</tr>")[0]
    assert "张丽（rep_a）" in row and ">20<" in row
    assert 'value="rep_b"' in row and 'value="rep_a"' not in row  # not back to the owner

    path = f"/customers/{phone(2)}/reassign"
    code, page = post(client, path, to="operator", reason="长期未跟进")
    assert code == 400 and "operator 不是本地区（SZ）在职的销售代表" in page
    assert 'value="长期未跟进"' in page  # the reason is kept for another try
    code, page = post(client, path, to="rep_b", reason="")
    assert code == 400 and "重新分配须填写原因" in page
    assert state(app, 2)[0] == "rep_a"

    code, page = post(client, path, to="rep_b", reason="长期未跟进")
    assert code == 200 and f"（{phone(2)}）重新分配给 李强（rep_b）" in page
    assert phone(2) not in section(page, "dormant-list")  # the new rep has 14 days afresh
    assert state(app, 2)[0] == "rep_b"
    code, page = post(client, path, to="rep_a", reason="还给张丽")
    assert code == 400 and "刚重新分配" in page

    # another region's manager cannot touch it
    code, page = post(login("gz_manager"), f"/customers/{phone(1)}/reassign", to="rep_b", reason="x")
    assert code == 403 and "不属于本地区（GZ）" in page
    code, page = post(
        login("gz_manager"), f"/customers/collisions/{collided[phone(1)]}/settle", action="keep"
    )
    assert code == 403 and state(app, 1) == ("rep_a", ["open"])
    with app.transaction() as session:
        assert worklog.verify(session).ok


def test_a_rep_gets_403(app: Salesync, login: Login, collided: dict[str, int]) -> None:
    rep = login("rep_a")
    assert rep.get("/customers/").status_code == 403
    assert ">客户归属</a>" not in rep.get("/").get_data(as_text=True)
    code, _ = post(rep, f"/customers/collisions/{collided[phone(0)]}/settle", action="transfer", note="我的")
    assert code == 403
    code, _ = post(rep, f"/customers/{phone(2)}/reassign", to="rep_b", reason="x")
    assert code == 403
    assert state(app, 0) == ("rep_a", ["open"]) and state(app, 2) == ("rep_a", [])


def test_the_managers_tasks_link_to_the_page(app: Salesync, login: Login, collided: dict[str, int]) -> None:
    client = login("manager")
    home = client.get("/").get_data(as_text=True)
    assert f'href="/customers/?phone={phone(0)}#collisions">{phone(0)}</a>' in home
    assert f'href="/customers/?phone={phone(2)}#dormant">{phone(2)}</a>' in home
    page = client.get(f"/customers/?phone={phone(2)}").get_data(as_text=True)
    assert f'<tr id="dormant-{phone(2)}" data-phone="{phone(2)}" class="focus">' in page
    english = client.get("/customers/?lang=en").get_data(as_text=True)
    assert "Open collisions" in english and "Keep the owner" in english


def test_the_managers_tasks_are_counted_and_filtered_by_kind(login: Login, collided: dict[str, int]) -> None:
    client = login("manager")
    home = client.get("/").get_data(as_text=True)
    assert '<a href="/?kind=%E6%92%9E%E5%8D%95">撞单 2</a>' in home
    only = client.get("/?kind=撞单").get_data(as_text=True)
    assert f'#collisions">{phone(0)}</a>' in only and "#dormant" not in only
