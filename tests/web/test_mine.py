"""查重 and 我的客户 for the sales rep: a phone or ID someone entered first is named with its owner and
date inside the region, only "registered" outside it, and never with the customer's details; the rep's
own customers with what is due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from schema.base import SHANGHAI
from sync.app import Salesync
from sync.domain import accounts
from sync.pipeline.outcome import Verdict
from tests.conftest import PASSWORD
from tests.workbooks import customer_rows, fill_template, phone

Login = Callable[..., FlaskClient]
ID_NUMBER = "11010519491231002X"  # a well-formed 身份证 number (check digit X)


@pytest.fixture
def entered(app: Salesync, people: dict[str, str], tmp_path: Path) -> dt.date:
    """rep_a entered customers 0–2 twelve days ago (customer 0 with an ID number); a rep of GZ."""
    met = dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=12)
    rows = customer_rows(3, first_contact=met.isoformat())
    rows["客户"][0]["证件类型"] = "身份证"
    rows["客户"][0]["证件号码"] = ID_NUMBER
    outcome = app.ingest(fill_template("customers", rows, tmp_path / "rep_a" / "客户登记.xlsx"), "rep_a")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
        accounts.add_user(session, "gz_rep", name="黄磊", roles=["sales_rep"], password=PASSWORD, region="GZ")
    return dt.datetime.now(SHANGHAI).date()


def answer(client: FlaskClient, typed: str) -> str:
    response = client.get("/mine/check", query_string={"q": typed})
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    return page.split('id="check-answer"')[1].split("</div>")[0]


def test_a_rep_checks_a_phone_before_entering_it(login: Login, entered: dt.date) -> None:
    rep_b = login("rep_b")
    said = answer(rep_b, f"+86 {phone(1)}")
    assert f"已登记：归属 张丽，{entered.isoformat()} 登记" in said
    assert phone(1) not in said.replace(f"+86 {phone(1)}", "")  # the customer's name and details stay hidden
    assert "已登记" in answer(rep_b, ID_NUMBER.lower()) and "张丽" in answer(rep_b, ID_NUMBER.lower())
    assert "尚未登记，可以录入" in answer(rep_b, phone(7))
    assert "不是手机号码或身份证号码" in answer(rep_b, "abc")
    assert "这是你的客户" in answer(login("rep_a"), phone(0))

    elsewhere = answer(login("gz_rep"), phone(1))
    assert (
        "已登记（其他地区的客户）" in elsewhere
        and "张丽" not in elsewhere
        and entered.isoformat() not in elsewhere
    )
    english = unescape(rep_b.get("/mine/check?q=" + phone(1) + "&lang=en").get_data(as_text=True))
    assert "Registered: it belongs to 张丽" in english
    assert login("operator").get("/mine/check").status_code == 403


def test_my_customers_shows_what_is_due(login: Login, entered: dt.date) -> None:
    rep_a = login("rep_a")
    page = unescape(rep_a.get("/mine/").get_data(as_text=True))
    assert ">我的客户</a>" in page and ">查重</a>" in page
    assert page.count("data-phone=") == 3
    assert "应跟进 3" in page and "即将休眠 3" in page  # twelve days: follow-up overdue, dormant in two
    row = page.split(f'data-phone="{phone(2)}"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row
    one = unescape(rep_a.get(f"/mine/?q={phone(2)}").get_data(as_text=True))
    assert one.count("data-phone=") == 1
    assert unescape(login("rep_b").get("/mine/").get_data(as_text=True)).count("data-phone=") == 0
