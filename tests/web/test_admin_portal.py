"""账号管理 in the portal: group admin → regional admins → users (docs/domain.md §1), through the real app
and database; every refusal is the service's rule, checked server-side by forging the POST."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from schema.models import Account, Region, WorkLogEntry
from sync.app import Salesync
from sync.core.errors import AccountRefused
from sync.domain import accounts
from tests.conftest import PASSWORD
from tests.web.conftest import choose_own_password, csrf_token

NEW_PASSWORD = "spring rain 2026"

Login = Callable[..., FlaskClient]


def add(app: Salesync, username: str, roles: list[str], region: str | None = "SZ") -> None:
    with app.transaction() as session:
        accounts.add_user(session, username, name=username, roles=roles, password=PASSWORD, region=region)


@pytest.fixture
def admins(app: Salesync, people: dict[str, str]) -> None:
    """The group admin, a second region, and a regional admin for each region."""
    add(app, "hq_admin", ["group_admin"], region=None)
    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
    add(app, "sz_admin", ["region_admin"])
    add(app, "gz_admin", ["region_admin"], region="GZ")


def post(client: FlaskClient, path: str, page: str, **data: str | list[str]) -> tuple[int, str]:
    token = csrf_token(client, page)
    response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def new_user(
    client: FlaskClient, username: str, roles: list[str], region: str, **extra: str
) -> tuple[int, str]:
    form = {"username": username, "name": "新同事", "roles": roles, "region": region}
    form |= {"password": NEW_PASSWORD, "password2": NEW_PASSWORD, **extra}
    return post(client, "/admin/users/new", "/admin/users/new", **form)


def account(app: Salesync, username: str) -> Account | None:
    with app.transaction() as session:
        found = session.scalar(select(Account).where(Account.username == username))
        if found is not None:
            session.expunge(found)
        return found


def row_of(page: str, username: str) -> str:
    return page.split(f'data-username="{username}"')[1].split("</tr>")[0]


def test_a_regional_admin_creates_a_rep_in_their_region_who_can_then_sign_in(
    app: Salesync, login: Login, admins: None
) -> None:
    client = login("sz_admin")
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="sales_rep"' in form and 'value="operator"' in form
    assert 'value="group_admin"' not in form and 'value="region_admin"' not in form
    assert 'value="executive"' not in form
    assert 'type="hidden" name="region" value="SZ"' in form  # the region is fixed

    code, page = new_user(client, "rep_c", ["sales_rep"], "SZ", projects="SZ-HW01")
    assert code == 200 and "已新建用户 rep_c" in page
    row = row_of(page, "rep_c")
    assert "销售代表" in row and "SZ" in row and "启用" in row and "sz_admin" in row
    assert (
        'data-username="hq_admin"' not in page and 'data-username="gz_admin"' not in page
    )  # own region only

    created = account(app, "rep_c")
    assert created is not None and created.region_id is not None
    with app.transaction() as session:
        rep = accounts.get_account(session, "rep_c")
        assert [(r.role, r.project_code) for r in rep.roles] == [("sales_rep", "SZ-HW01")]
        logged = session.scalar(select(WorkLogEntry).where(WorkLogEntry.key == "rep_c"))
        assert logged is not None and logged.op == "create"
        assert logged.account_id == accounts.get_account(session, "sz_admin").id

    rep_client = login("rep_c", NEW_PASSWORD)
    choose_own_password(rep_client, NEW_PASSWORD)  # the admin's password was one-time
    assert "新同事（rep_c）" in rep_client.get("/").get_data(as_text=True)


def test_a_regional_admin_cannot_grant_group_roles_or_create_users_elsewhere(
    app: Salesync, login: Login, admins: None
) -> None:
    client = login("sz_admin")
    for username, roles, region, words in [
        ("boss2", ["group_admin"], "SZ", "不能授予或管理以下角色：集团系统管理员"),
        ("exec2", ["executive", "sales_rep"], "SZ", "集团营销管理部"),
        ("sz_admin2", ["region_admin"], "SZ", "地区系统管理员"),
        ("gz_rep", ["sales_rep"], "GZ", "只能管理本地区（SZ）的账号"),
        ("hq_rep", ["sales_rep"], "", "只能管理本地区（SZ）的账号"),
    ]:
        code, page = new_user(client, username, roles, region)  # forged: the form offers none of these
        assert code == 403, page
        assert words in page and "账号操作未执行" in page
        assert account(app, username) is None


def test_new_user_form_input_is_checked(app: Salesync, login: Login, admins: None) -> None:
    client = login("sz_admin")
    code, page = new_user(client, "rep_c", ["sales_rep"], "SZ", password2="something else")
    assert code == 400 and "两次输入的密码不一致" in page and 'value="rep_c"' in page  # the form is kept
    code, page = new_user(client, "rep_c", ["sales_rep"], "SZ", password="short", password2="short")
    assert code == 400 and "密码至少 10 位" in page
    code, page = new_user(client, "rep_c", [], "SZ")
    assert code == 400 and "至少选择一个角色" in page
    code, page = new_user(client, "rep_a", ["sales_rep"], "SZ")
    assert code == 400 and "账号已存在：rep_a" in page
    assert account(app, "rep_c") is None


def test_disabling_a_user_signs_them_out_and_keeps_the_account(
    app: Salesync, portal: Flask, login: Login, admins: None
) -> None:
    rep = login("rep_a")
    assert rep.get("/").status_code == 200
    admin = login("sz_admin")
    page = admin.get("/admin/users/rep_a").get_data(as_text=True)
    assert 'id="disable"' in page and 'name="confirm"' in page

    code, page = post(admin, "/admin/users/rep_a/disable", "/admin/users/rep_a")
    assert code == 400 and "请勾选确认" in page
    assert rep.get("/").status_code == 200

    code, page = post(admin, "/admin/users/rep_a/disable", "/admin/users/rep_a", confirm="yes")
    assert code == 200 and "已停用用户 rep_a" in page
    row = row_of(page, "rep_a")
    assert "已停用" in row and 'class="disabled"' in page.split('data-username="rep_a"')[0][-40:]
    assert rep.get("/").status_code == 302  # signed out at once
    disabled = account(app, "rep_a")
    assert disabled is not None and not disabled.active and disabled.disabled_at is not None
    stranger = portal.test_client()
    token = csrf_token(stranger)
    response = stranger.post("/login", data={"username": "rep_a", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 401


def test_admins_reach_only_the_accounts_they_manage(app: Salesync, login: Login, admins: None) -> None:
    gz = login("gz_admin")
    assert 'data-username="rep_a"' not in gz.get("/admin/").get_data(as_text=True)
    assert gz.get("/admin/users/rep_a").status_code == 404
    code, _ = post(gz, "/admin/users/rep_a/disable", "/admin/", confirm="yes")
    assert code == 404
    sz = login("sz_admin")
    code, page = post(sz, "/admin/users/sz_admin/disable", "/admin/", confirm="yes")
    assert code == 403 and "不能停用自己的账号" in page
    add(app, "sz_admin_b", ["region_admin"])
    code, page = post(sz, "/admin/users/sz_admin_b/disable", "/admin/", confirm="yes")
    assert code == 403 and "地区系统管理员" in page
    assert all(
        a is not None and a.active for a in (account(app, n) for n in ("rep_a", "sz_admin", "sz_admin_b"))
    )


def test_an_admin_resets_a_password(app: Salesync, login: Login, admins: None) -> None:
    admin = login("sz_admin")
    code, page = post(
        admin, "/admin/users/rep_b/password", "/admin/users/rep_b", password="short", password2="short"
    )
    assert code == 400 and "密码至少 10 位" in page
    code, page = post(
        admin,
        "/admin/users/rep_b/password",
        "/admin/users/rep_b",
        password=NEW_PASSWORD,
        password2=NEW_PASSWORD,
    )
    assert code == 200 and "已重设 rep_b 的密码" in page
    login("rep_b", NEW_PASSWORD)
    with app.transaction() as session:
        assert not accounts.verify_password(accounts.get_account(session, "rep_b"), PASSWORD)
        assert session.scalar(select(WorkLogEntry).where(WorkLogEntry.op == "password")) is not None


def test_the_group_admin_creates_a_region_and_its_regional_admin(
    app: Salesync, login: Login, admins: None
) -> None:
    hq = login("hq_admin")
    page = hq.get("/admin/").get_data(as_text=True)
    assert all(f'data-username="{n}"' in page for n in ("rep_a", "gz_admin", "hq_admin"))  # every region
    code, page = post(hq, "/admin/regions", "/admin/", code="BJ", name="北京地区公司")
    assert code == 200 and "已新建地区 BJ 北京地区公司" in page
    code, page = post(hq, "/admin/regions", "/admin/", code="BJ", name="北京地区公司")
    assert code == 400 and "地区已存在：BJ" in page

    form = hq.get("/admin/users/new").get_data(as_text=True)
    assert 'value="group_admin"' in form and 'value="region_admin"' in form and '<option value="BJ"' in form
    code, page = new_user(hq, "bj_admin", ["region_admin"], "BJ")
    assert code == 200 and "地区系统管理员" in row_of(page, "bj_admin")

    bj = login("bj_admin", NEW_PASSWORD)
    choose_own_password(bj, NEW_PASSWORD)
    page = bj.get("/admin/").get_data(as_text=True)
    assert 'data-username="bj_admin"' in page and 'data-username="rep_a"' not in page
    assert 'action="/admin/regions"' not in page
    code, page = post(bj, "/admin/regions", "/admin/", code="SH", name="上海地区公司")
    assert code == 403 and "只有集团系统管理员可以新建地区" in page
    with app.transaction() as session:
        assert session.scalar(select(Region).where(Region.code == "SH")) is None


def test_people_without_an_admin_role_get_403(login: Login, admins: None) -> None:
    rep = login("rep_a")
    assert rep.get("/admin/").status_code == 403
    assert rep.get("/admin/users/new").status_code == 403
    token = csrf_token(rep, "/")
    response = rep.post("/admin/users/rep_b/disable", data={"confirm": "yes", "csrf_token": token})
    assert response.status_code == 403


def test_the_rule_is_the_service_s_for_every_interface(app: Salesync, admins: None) -> None:
    with app.transaction() as session:
        sz, hq = accounts.get_account(session, "sz_admin"), accounts.get_account(session, "hq_admin")
        rep = accounts.get_account(session, "rep_a")
        accounts.check_may_manage(sz, "SZ", ["sales_rep", "finance"])
        accounts.check_may_manage(hq, "GZ", ["region_admin"])
        accounts.check_may_manage(hq, None, ["group_admin"])
        for actor, region, roles, code in [
            (sz, "SZ", ["group_admin"], "role-not-grantable"),
            (sz, "SZ", ["region_admin"], "role-not-grantable"),
            (sz, "GZ", ["sales_rep"], "other-region"),
            (rep, "SZ", ["sales_rep"], "not-admin"),
        ]:
            with pytest.raises(AccountRefused) as caught:
                accounts.check_may_manage(actor, region, roles)
            assert caught.value.code == code and caught.value.message("en").startswith("Not done: ")
        assert {r.value for r in accounts.grantable_roles(sz)} == {
            "operator",
            "sales_rep",
            "sales_control",
            "finance",
            "sales_manager",
            "sales_service",
        }  # signing roles need the group admin (separation of duties)
        sz.active = False
        assert accounts.grantable_roles(sz) == []
