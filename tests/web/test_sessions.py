"""Server-side sessions (issue: sessions survived logout and a password reset, the cookie had no
Secure flag): a session version per account, an idle timeout, the cookie's flags, a forced
password change after an admin set one, and a sign-in lock that never stops a signed-in session."""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from schema.base import now
from schema.models import Account
from sync.app import Salesync
from sync.domain import accounts
from tests.conftest import PASSWORD
from tests.web.conftest import OWN_PASSWORD, choose_own_password, csrf_token, sign_in
from tests.web.test_changes_portal import later_change, post, status
from web import create_app
from web.auth import Throttle

Login = Callable[..., FlaskClient]
ADMIN_SET = "temporary words 42"


def signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def attempt(client: FlaskClient, username: str, password: str, address: str = "10.0.0.1") -> int:
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


@pytest.fixture
def admin(app: Salesync, people: dict[str, str]) -> str:
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="管理员", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
    return "sz_admin"


def test_signing_out_ends_every_session_of_the_account(login: Login, people: dict[str, str]) -> None:
    desk, phone = login("rep_a"), login("rep_a")
    assert signed_in(desk) and signed_in(phone)
    desk.post("/logout", data={"csrf_token": csrf_token(desk, "/")})
    assert not signed_in(desk) and not signed_in(phone)
    assert signed_in(login("rep_a"))  # signing in again works


def test_a_password_reset_or_disabling_ends_the_other_sessions(
    app: Salesync, login: Login, admin: str
) -> None:
    rep, other, admin_client = login("rep_a"), login("rep_b"), login(admin)
    code, _page = post(
        admin_client,
        "/admin/users/rep_a/password",
        "/admin/users/rep_a",
        password=ADMIN_SET,
        password2=ADMIN_SET,
    )
    assert code == 200 and not signed_in(rep) and signed_in(other)
    code, _page = post(admin_client, "/admin/users/rep_b/disable", "/admin/users/rep_b", confirm="yes")
    assert code == 200 and not signed_in(other)


def test_an_old_cookie_replayed_after_sign_out_is_dead(portal: Flask, people: dict[str, str]) -> None:
    client = portal.test_client()
    sign_in(client, "rep_a")
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    thief = portal.test_client()
    thief.set_cookie("session", cookie.value)
    assert not signed_in(thief)


def test_the_idle_timeout(portal: Flask, people: dict[str, str]) -> None:
    client = portal.test_client()
    sign_in(client, "rep_a")
    assert signed_in(client)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60  # the default: 30 minutes
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not signed_in(client)


def test_the_cookie_flags(app: Salesync, people: dict[str, str]) -> None:
    for secure in (False, True):
        service = Salesync(app.config.with_(session_cookie_secure=secure), app.engine)
        client = create_app(service, {"TESTING": True}).test_client()
        token = csrf_token(client)
        response = client.post(
            "/login", data={"username": "rep_a", "password": PASSWORD, "csrf_token": token}
        )
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
        assert ("Secure" in cookie) is secure


def test_behind_a_configured_proxy_the_client_address_counts(app: Salesync, people: dict[str, str]) -> None:
    service = Salesync(app.config.with_(proxy_count=1), app.engine)
    portal = create_app(service, {"TESTING": True})
    client = portal.test_client()
    token = csrf_token(client)
    client.post(
        "/login",
        data={"username": "nobody1", "password": "x", "csrf_token": token},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    ips = portal.extensions["salesync_throttles"]["ip"]
    assert list(ips._failures) == ["203.0.113.9"]


def test_an_admin_set_password_is_changed_at_first_sign_in(app: Salesync, login: Login, admin: str) -> None:
    post(
        login(admin),
        "/admin/users/rep_a/password",
        "/admin/users/rep_a",
        password=ADMIN_SET,
        password2=ADMIN_SET,
    )
    client = login("rep_a", ADMIN_SET)
    for page in ("/", "/versions/", "/board/"):
        assert client.get(page).headers["Location"] == "/account/password"
    token = csrf_token(client, "/account/password")
    for new, words in [
        ("1234567890", "密码太常见"),
        ("rep_a-2026-words", "密码不能包含账号名"),
        ("short", "密码至少 10 位"),
    ]:
        response = client.post(
            "/account/password",
            data={"current": ADMIN_SET, "password": new, "password2": new, "csrf_token": token},
        )
        assert response.status_code == 400 and words in response.get_data(as_text=True)
    choose_own_password(client, ADMIN_SET)
    assert signed_in(client)  # the session that changed it goes on
    with app.transaction() as session:
        assert not accounts.get_account(session, "rep_a").must_change_password


def test_everyone_changes_their_own_password_and_other_sessions_end(
    login: Login, people: dict[str, str]
) -> None:
    client, other = login("manager"), login("manager")
    token = csrf_token(client, "/account/password")
    wrong = client.post(
        "/account/password",
        data={"current": "not it", "password": OWN_PASSWORD, "password2": OWN_PASSWORD, "csrf_token": token},
    )
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": OWN_PASSWORD, "password2": OWN_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302 and signed_in(client) and not signed_in(other)
    assert signed_in(login("manager", OWN_PASSWORD))


def test_a_locked_account_is_unlocked_by_its_owner_after_the_delay_or_by_an_admin(
    app: Salesync, portal: Flask, login: Login, admin: str
) -> None:
    client = portal.test_client()
    for _ in range(5):
        assert attempt(client, "rep_a", "guess again") in (401, 429)
    assert attempt(client, "rep_a", PASSWORD) == 429  # the right password too, while locked
    with app.transaction() as session:
        session.execute(
            update(Account)
            .where(Account.username == "rep_a")
            .values(locked_until=now() - dt.timedelta(seconds=1))
        )
    assert attempt(client, "rep_a", PASSWORD) == 302  # after the delay, the owner's password
    with app.transaction() as session:
        assert accounts.get_account(session, "rep_a").failed_logins == 0

    other = portal.test_client()
    for _ in range(5):
        attempt(other, "rep_b", "guess again")
    assert attempt(other, "rep_b", PASSWORD) == 429
    code, page = post(login(admin), "/admin/users/rep_b/unlock", "/admin/users/rep_b")
    assert code == 200 and "已解锁 rep_b 的登录" in page
    assert attempt(other, "rep_b", PASSWORD) == 302


def test_unknown_usernames_lock_like_real_ones(portal: Flask, people: dict[str, str]) -> None:
    client = portal.test_client()
    codes = [attempt(client, name, "guess again") for name in ["rep_a", "nobody"] * 6]
    assert codes[-2:] == [429, 429]  # no way to tell an account that exists from one that does not


def test_a_signed_in_session_signs_whatever_others_try_at_sign_in(
    app: Salesync, portal: Flask, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path)
    senior = login("senior")
    attacker = portal.test_client()
    for _ in range(6):
        attempt(attacker, "senior", "guess again", address="198.51.100.7")
    assert attempt(attacker, "senior", PASSWORD, address="198.51.100.7") == 429  # the account is locked
    code, page = post(senior, f"/changes/{cs}/sign", f"/changes/{cs}", password=PASSWORD)
    assert code == 200 and "已生效" in page, page
    assert status(app, cs) == ("已生效", 1)


def test_the_throttles_stay_bounded_under_10k_distinct_usernames(
    portal: Flask, people: dict[str, str]
) -> None:
    throttle = Throttle(limit=5, window=900, max_keys=10_000)
    huge = "x" * 100_000
    for i in range(12_000):
        throttle.failed(f"{i}-{huge}" if i % 1000 == 0 else f"user{i}")
    assert len(throttle) == 10_000
    held = sum(sys.getsizeof(k) + sum(sys.getsizeof(t) for t in v) for k, v in throttle._failures.items())
    assert held < 10_000 * (Throttle.KEY_CHARS + 200)  # no 100 kB key kept whole
    assert all(len(k) <= Throttle.KEY_CHARS and len(v) <= 5 for k, v in throttle._failures.items())

    # through the sign-in form: 5 MB usernames are not stored at all (no account has one)
    client = portal.test_client()
    for i in range(5):
        assert attempt(client, f"{i}" + "y" * 5_000_000, "x", address=f"10.1.0.{i}") == 401
    throttles = portal.extensions["salesync_throttles"]
    assert len(throttles["unknown"]) == 0 and len(throttles["ip"]) == 5


def test_unknown_and_known_usernames_take_the_same_time(portal: Flask, people: dict[str, str]) -> None:
    client = portal.test_client()

    def timed(username: str, address: str) -> float:
        start = time.perf_counter()
        attempt(client, username, "not the password", address=address)
        return time.perf_counter() - start

    known, unknown = [], []
    for i in range(6):
        known.append(timed("rep_a" if i < 3 else "rep_b", f"10.2.0.{i}"))
        unknown.append(timed(f"nobody{i}", f"10.3.0.{i}"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (known, unknown)  # before: 0.43 s against 0.01 s
