"""Separation of duties (issue: a regional admin defeated two-person signing): only the group admin
makes a signer, an admin's password is one-time and keeps its account from signing for a while,
and nobody signs through accounts they administer; names and passwords follow one policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update

from schema.base import now
from schema.models import Account, WorkLogEntry
from sync.app import Salesync
from sync.core.errors import AccountRefused, Refused
from sync.domain import accounts, signing, tasks
from sync.domain.signing import SigningRefused
from tests.conftest import PASSWORD
from tests.signers import sign_off
from tests.test_signing import add, repriced, submit
from tests.workbooks import master_rows

ADMIN_SET = "temporary words 42"
OWN = "the owner's own 2026"


@pytest.fixture
def admins(app: Salesync, people: dict[str, str]) -> None:
    add(app, "hq_admin", ["group_admin"], region=None)
    add(app, "sz_admin", ["region_admin"])


def act(app: Salesync, username: str) -> Account:
    with app.transaction() as session:
        found = accounts.get_account(session, username)
        session.expunge(found)
        return found


def sign(app: Salesync, change_set: int, username: str, password: str) -> signing.SignResult:
    with app.transaction() as session:
        return signing.sign(session, change_set, username, password)


def refusal(app: Salesync, change_set: int, username: str, password: str) -> str:
    with pytest.raises(SigningRefused) as caught:
        sign(app, change_set, username, password)
    assert isinstance(caught.value, Refused)  # the one refusal family
    return caught.value.code


def age(app: Salesync, username: str, *, created: int = 0, password: int = 0) -> None:
    """Move the account's creation and its password's setting ``days`` into the past."""
    with app.transaction() as session:
        found = accounts.get_account(session, username)
        if created:
            found.created_at = now() - dt.timedelta(days=created)
        if password and found.admin_password_at is not None:
            found.admin_password_at = found.admin_password_at - dt.timedelta(days=password)


@pytest.fixture
def price_change(app: Salesync, admins: None, tmp_path: Path) -> int:
    """The project's data in effect, then the operator's price change waiting for one senior manager."""
    sign_off(app, submit(app, tmp_path / "v1.xlsx"))
    later = submit(app, tmp_path / "v2.xlsx", repriced(master_rows(), 0, 33000))
    assert later.change_set_id is not None
    return later.change_set_id


def test_a_regional_admin_cannot_make_a_signer_and_so_cannot_sign_alone(
    app: Salesync, price_change: int
) -> None:
    with app.transaction() as session, pytest.raises(AccountRefused) as caught:
        accounts.create_user(
            session,
            accounts.get_account(session, "sz_admin"),
            "fake_senior",
            name="假经理",
            roles=["senior_manager"],
            password=ADMIN_SET,
            region="SZ",
        )
    assert caught.value.code == "signing-role-group-only" and "集团系统管理员" in str(caught.value)
    assert caught.value.code in accounts.FORBIDDEN
    with app.transaction() as session:
        assert session.scalar(select(Account).where(Account.username == "fake_senior")) is None

    # Resetting an existing signer's password gets the admin nothing either: it cannot sign.
    with app.transaction() as session:
        accounts.reset_password(session, accounts.get_account(session, "sz_admin"), "senior", ADMIN_SET)
    assert refusal(app, price_change, "senior", ADMIN_SET) == "sign-password-by-admin"
    with app.transaction() as session:
        senior = accounts.get_account(session, "senior")
        accounts.change_own_password(session, senior, ADMIN_SET, OWN)
    assert refusal(app, price_change, "senior", OWN) == "sign-password-by-admin"  # the hold period
    age(app, "senior", password=8)
    assert sign(app, price_change, "senior", OWN).status == "已生效"


def test_the_group_admin_grants_a_signing_role_logged_and_noticed_one_time_password(
    app: Salesync, price_change: int
) -> None:
    with app.transaction() as session:
        accounts.create_user(
            session,
            accounts.get_account(session, "hq_admin"),
            "new_senior",
            name="新经理",
            roles=["senior_manager"],
            password=ADMIN_SET,
            region="SZ",
        )
    with app.transaction() as session:
        ops = session.scalars(select(WorkLogEntry.op).where(WorkLogEntry.key == "new_senior")).all()
        assert ops == ["create", "grant-signing"]
    found = act(app, "new_senior")
    assert found.must_change_password and found.password_set_by_id == act(app, "hq_admin").id
    with app.transaction() as session:
        notices = [t for t in tasks.tasks_for(session, "hq_admin").tasks if t.kind == "授权"]
        assert [(t.subject, t.detail) for t in notices] == [
            ("new_senior", "hq_admin 授予 new_senior 签字角色：市场营销部高级经理，请核实")
        ]
    assert refusal(app, price_change, "new_senior", ADMIN_SET) == "sign-password-by-admin"
    with app.transaction() as session:
        accounts.change_own_password(session, accounts.get_account(session, "new_senior"), ADMIN_SET, OWN)
    assert not act(app, "new_senior").must_change_password
    assert refusal(app, price_change, "new_senior", OWN) == "sign-password-by-admin"
    age(app, "new_senior", password=8)
    assert sign(app, price_change, "new_senior", OWN).status == "已生效"


def test_nobody_signs_through_accounts_they_administer(app: Salesync, admins: None, tmp_path: Path) -> None:
    """One admin made both the submitter and the signer this week: the signature does not stand,
    even once the signer's own password is old enough; nor does the creator's own signature."""
    sign_off(app, submit(app, tmp_path / "v1.xlsx"))
    with app.transaction() as session:
        hq = accounts.get_account(session, "hq_admin")
        for username, roles in [("op2", ["operator"]), ("sen2", ["senior_manager"])]:
            accounts.create_user(
                session, hq, username, name=username, roles=roles, password=ADMIN_SET, region="SZ"
            )
        accounts.create_user(
            session, hq, "boss2", name="boss2", roles=["executive", "group_admin"], password=ADMIN_SET
        )
    for username in ("op2", "sen2", "boss2"):
        with app.transaction() as session:
            accounts.change_own_password(session, accounts.get_account(session, username), ADMIN_SET, OWN)
        age(app, username, password=8)
    with app.transaction() as session:
        boss2 = accounts.get_account(session, "boss2")
        accounts.create_user(
            session, boss2, "op3", name="op3", roles=["operator"], password=ADMIN_SET, region="SZ"
        )
    with app.transaction() as session:
        accounts.change_own_password(session, accounts.get_account(session, "op3"), ADMIN_SET, OWN)
    age(app, "op3", password=8)

    from tests.workbooks import fill_template

    change = app.ingest(
        fill_template("project_master", repriced(master_rows(), 0, 33000), tmp_path / "v2.xlsx"), "op2"
    )
    assert change.change_set_id is not None
    assert refusal(app, change.change_set_id, "sen2", OWN) == "sign-same-administrator"
    other = app.ingest(
        fill_template("project_master", repriced(master_rows(), 1, 34000), tmp_path / "v3.xlsx"), "op3"
    )
    assert other.change_set_id is not None
    assert refusal(app, other.change_set_id, "boss2", OWN) == "sign-creator-of-submitter"
    age(app, "sen2", created=8)
    age(app, "op2", created=8)
    assert sign(app, change.change_set_id, "sen2", OWN).status == "已生效"  # a week on: two people


def test_the_hold_period_is_configured(app: Salesync, price_change: int) -> None:
    with app.transaction() as session:
        accounts.reset_password(session, accounts.get_account(session, "hq_admin"), "senior", ADMIN_SET)
        accounts.change_own_password(session, accounts.get_account(session, "senior"), ADMIN_SET, OWN)
    assert refusal(app, price_change, "senior", OWN) == "sign-password-by-admin"
    shorter = Salesync(app.config.with_(admin_password_hold_hours=0.0), app.engine)
    with shorter.transaction() as session:
        assert signing.sign(session, price_change, "senior", OWN).status == "已生效"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("12345678", "password-short"),
        ("1234567890", "password-common"),
        ("Password123", "password-common"),
        ("qwertyuiop", "password-common"),
        ("woaini1314", "password-common"),
        ("aaaaaaaaaaaa", "password-common"),
        ("rep_c-is-me-2026", "password-username"),
        ("x" * 2000, "password-long"),
    ],
)
def test_the_password_policy(app: Salesync, admins: None, password: str, code: str) -> None:
    with app.transaction() as session, pytest.raises(AccountRefused) as caught:
        accounts.create_user(
            session,
            accounts.get_account(session, "sz_admin"),
            "rep_c",
            name="新同事",
            roles=["sales_rep"],
            password=password,
            region="SZ",
        )
    assert caught.value.code == code


def test_the_demo_and_test_passwords_pass_the_policy() -> None:
    from sync.domain.passwords import weakness

    assert weakness("salesync-demo", "chengang") is None
    assert weakness(PASSWORD, "rep_a") is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ZHANGLI", "zhangli"), ("ＺｈａｎｇＬｉ", "zhangli"), ("  Wang.Fang-2 ", "wang.fang-2")],
)
def test_usernames_are_normalised_and_case_folded(
    app: Salesync, admins: None, typed: str, stored: str
) -> None:
    with app.transaction() as session:
        accounts.create_user(
            session,
            accounts.get_account(session, "sz_admin"),
            typed,
            name="同名",
            roles=["sales_rep"],
            password=OWN,
            region="SZ",
        )
    assert act(app, stored).username == stored
    assert act(app, typed).username == stored  # every lookup normalises the same way
    with app.transaction() as session, pytest.raises(accounts.AccountExists):
        accounts.add_user(
            session, stored.upper(), name="又一个", roles=["sales_rep"], password=OWN, region="SZ"
        )


@pytest.mark.parametrize(
    "username",
    ["zhang\u200bli", "../../../x", "a/b", "1abc", "_abc", "张丽", "rep a", "x" * 65, "zh\u202eangli", ""],
)
def test_unsafe_usernames_are_refused(app: Salesync, admins: None, username: str) -> None:
    with app.transaction() as session, pytest.raises(AccountRefused) as caught:
        accounts.create_user(
            session,
            accounts.get_account(session, "sz_admin"),
            username,
            name="某人",
            roles=["sales_rep"],
            password=OWN,
            region="SZ",
        )
    assert caught.value.code == "username-invalid"


@pytest.mark.parametrize("code", ["../SZ", "SZ/HW", "项目一", ".."])
def test_unsafe_region_and_project_codes_are_refused(app: Salesync, admins: None, code: str) -> None:
    with app.transaction() as session, pytest.raises(AccountRefused) as caught:
        accounts.create_region(session, accounts.get_account(session, "hq_admin"), code, "某地区")
    assert caught.value.code == "code-invalid"
    with app.transaction() as session, pytest.raises(AccountRefused) as caught:
        accounts.create_user(
            session,
            accounts.get_account(session, "sz_admin"),
            "rep_c",
            name="某人",
            roles=["sales_rep"],
            password=OWN,
            region="SZ",
            projects=[code],
        )
    assert caught.value.code == "code-invalid"


def test_password_changes_end_every_session(app: Salesync, admins: None) -> None:
    before = act(app, "rep_a").session_version
    with app.transaction() as session:
        accounts.reset_password(session, accounts.get_account(session, "sz_admin"), "rep_a", ADMIN_SET)
    assert act(app, "rep_a").session_version == before + 1
    with app.transaction() as session:
        accounts.disable(session, accounts.get_account(session, "sz_admin"), "rep_a")
    assert act(app, "rep_a").session_version == before + 2
    with app.transaction() as session:
        session.execute(update(Account).where(Account.username == "rep_b").values(failed_logins=9))
        accounts.unlock(session, accounts.get_account(session, "sz_admin"), "rep_b")
    assert act(app, "rep_b").failed_logins == 0


def test_a_project_code_outside_the_safe_set_is_refused_at_its_cell(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    from tests.workbooks import fill_template

    rows = master_rows()
    unsafe = "../SZ HW01"
    old = rows["项目"][0]["项目编码"]
    for sheet in rows.values():
        for row in sheet:
            if row.get("项目编码") == old:
                row["项目编码"] = unsafe
    outcome = app.ingest(fill_template("project_master", rows, tmp_path / "项目资料.xlsx"), "operator")
    found = [(f.sheet, f.row, f.header, f.value) for f in outcome.findings if f.code == "code-unsafe"]
    assert found == [("项目", 2, "项目编码", unsafe)], outcome.findings
    assert outcome.change_set_id is None
