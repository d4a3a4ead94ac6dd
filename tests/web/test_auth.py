"""Signing in and out, CSRF, roles and disabled accounts, through the real app and database."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from sync.app import Salesync
from sync.domain import accounts
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_token, sign_in
from web.auth import Throttle


def test_pages_need_a_login(client: FlaskClient, people: dict[str, str]) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_shows_my_tasks_in_chinese(client: FlaskClient, people: dict[str, str]) -> None:
    sign_in(client, "rep_a")
    page = client.get("/").get_data(as_text=True)
    assert "我的任务" in page and "张丽（rep_a）" in page
    assert "当前没有待办任务" in page


def test_english_on_request_and_remembered(client: FlaskClient, people: dict[str, str]) -> None:
    sign_in(client, "rep_a")
    assert "My tasks" in client.get("/?lang=en").get_data(as_text=True)
    assert "Nothing to do right now." in client.get("/").get_data(as_text=True)  # the cookie keeps it


def test_wrong_password_is_refused_with_one_message(client: FlaskClient, people: dict[str, str]) -> None:
    token = csrf_token(client)
    for username, password in [("rep_a", "wrong"), ("nobody", PASSWORD)]:
        response = client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        assert response.status_code == 401
        assert "账号或密码不正确，或账号已停用" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_post_without_csrf_token_is_refused(client: FlaskClient, people: dict[str, str]) -> None:
    response = client.post("/login", data={"username": "rep_a", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_an_outside_next_is_not_followed(client: FlaskClient, people: dict[str, str]) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "rep_a", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_disabled_account_is_signed_out_at_once(
    app: Salesync, login: Callable[..., FlaskClient], people: dict[str, str]
) -> None:
    client = login("rep_b")
    assert client.get("/").status_code == 200
    with app.transaction() as session:
        accounts.disable_user(session, "rep_b")
    assert client.get("/").status_code == 302


def test_navigation_follows_roles(login: Callable[..., FlaskClient], people: dict[str, str]) -> None:
    rep = login("rep_a")
    page = rep.get("/").get_data(as_text=True)
    assert "楼盘表" in page and "账号管理" not in page and "双轨对账" not in page
    assert rep.get("/admin/").status_code == 403
    assert "无权访问" in rep.get("/reconcile/").get_data(as_text=True)


def test_sign_out(login: Callable[..., FlaskClient], people: dict[str, str]) -> None:
    client = login("manager")
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_pages_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_repeated_failures_lock_the_username_for_a_while(client: FlaskClient, people: dict[str, str]) -> None:
    token = csrf_token(client)
    for _ in range(5):
        client.post("/login", data={"username": "rep_a", "password": "guess", "csrf_token": token})
    response = client.post("/login", data={"username": "rep_a", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)
    sign_in(client, "rep_b")  # other accounts are not affected


def test_throttle_forgets_after_the_window() -> None:
    now = [0.0]
    throttle = Throttle(limit=2, window=60, clock=lambda: now[0])
    throttle.failed("a")
    throttle.failed("a")
    assert throttle.blocked("a") and not throttle.blocked("b")
    now[0] = 61
    assert not throttle.blocked("a")
    throttle.failed("a")
    throttle.succeeded("a")
    throttle.failed("a")
    assert not throttle.blocked("a")


def test_the_language_links_keep_the_page_query(
    login: Callable[..., FlaskClient], people: dict[str, str]
) -> None:
    page = login("rep_a").get("/versions/?outcome=partial&page=1").get_data(as_text=True)
    assert 'href="?outcome=partial&amp;page=1&amp;lang=en"' in page


def test_the_icon_is_served(client: FlaskClient) -> None:
    assert client.get("/favicon.ico").status_code == 302
    assert client.get("/static/favicon.svg").status_code == 200
