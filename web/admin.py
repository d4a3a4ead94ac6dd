"""账号管理 (Accounts): group admin → regional admins → users (docs/domain.md §1).

Pages only: who may create, disable or reset whom is decided by ``sync.domain.accounts`` (the same rule the
command line follows), and every write goes through it inside one transaction, attributed to the
signed-in admin and logged in the work log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from schema.base import now
from schema.models import Account
from sync.core.errors import AccountRefused, SalesyncError
from sync.domain import accounts
from web import db
from web.access import ADMINS
from web.admin_list import ACCOUNT_FILTERS, ACCOUNT_ORDER, ROLES, accounts_page
from web.auth import account, roles_required, user
from web.i18n import lang, tr
from web.listing import Listing

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _refusal(exc: SalesyncError) -> tuple[str, int]:
    """The words and status of a refused write."""
    if isinstance(exc, AccountRefused):
        return exc.message(lang()), 403 if exc.code in accounts.FORBIDDEN else 400
    return str(exc), 400


def _creators(found: list[Account]) -> dict[int, str]:
    ids = {a.created_by_id for a in found if a.created_by_id}
    rows = db.session().execute(select(Account.id, Account.username).where(Account.id.in_(ids)))
    return {row.id: row.username for row in rows}


def _index_page(region: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    actor = account()
    listing = Listing.from_request(filters=ACCOUNT_FILTERS, sorts=ACCOUNT_ORDER, default_sort="username")
    listed = accounts_page(db.session(), actor, listing)
    found = list(listed.items)
    return render_template(
        "admin/index.html",
        accounts=found,
        listed=listed,
        listing=listing,
        roles=ROLES,
        creators=_creators(found),
        regions=accounts.regions_in_scope(db.session(), actor),
        group_admin=accounts.is_group_admin(actor),
        region=region or {"code": "", "name": ""},
    ), status


@bp.route("/")
@roles_required(*ADMINS)
def index() -> ResponseReturnValue:
    return _index_page()


@dataclass
class UserForm:
    """What the new-user form carries back when it must be shown again (never the passwords)."""

    username: str = ""
    name: str = ""
    roles: list[str] = field(default_factory=list)
    region: str = ""
    projects: str = ""

    @classmethod
    def posted(cls) -> UserForm:
        f = request.form
        return cls(
            f.get("username", "").strip(),
            f.get("name", "").strip(),
            f.getlist("roles"),
            f.get("region", "").strip(),
            f.get("projects", "").strip(),
        )

    @property
    def project_codes(self) -> list[str]:
        return [p for p in re.split(r"[,，、;；\s]+", self.projects) if p]


def _new_user_page(form: UserForm, status: int = 200) -> ResponseReturnValue:
    actor = account()
    return render_template(
        "admin/new_user.html",
        form=form,
        grantable=accounts.grantable_roles(actor),
        regions=accounts.regions_in_scope(db.session(), actor),
        group_admin=accounts.is_group_admin(actor),
    ), status


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(*ADMINS)
def new_user() -> ResponseReturnValue:
    if request.method == "GET":
        return _new_user_page(UserForm(region=user().region_code or ""))
    form = UserForm.posted()
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        flash(tr("两次输入的密码不一致", "The two passwords differ"), "error")
        return _new_user_page(form, 400)
    try:
        with db.transaction() as s:
            accounts.create_user(
                s,
                accounts.get_account(s, user().username),
                form.username,
                name=form.name,
                roles=form.roles,
                password=password,
                region=form.region or None,
                projects=form.project_codes,
            )
    except SalesyncError as exc:
        message, status = _refusal(exc)
        flash(message, "error")
        return _new_user_page(form, status)
    flash(tr("已新建用户 {u}", "Created user {u}").format(u=form.username), "success")
    return redirect(url_for("admin.index"))


def _in_scope(username: str) -> Account:
    found = db.session().scalar(select(Account).where(Account.username == username))
    if found is None or not accounts.in_scope(account(), found):
        abort(404)
    return found


def _may_manage(target: Account) -> bool:
    try:
        accounts.check_may_manage(account(), target.region.code if target.region else None, target.role_keys)
    except AccountRefused:
        return False
    return True


def _account_page(username: str, status: int = 200) -> ResponseReturnValue:
    target = _in_scope(username)
    own = target.id == user().id
    return render_template(
        "admin/account.html",
        target=target,
        creators=_creators([target]),
        may_manage=_may_manage(target) and not own,
        may_reset=target.active and (own or _may_manage(target)),
        locked=target.locked_until is not None and target.locked_until > now(),
    ), status


@bp.route("/users/<username>")
@roles_required(*ADMINS)
def account_page(username: str) -> ResponseReturnValue:
    return _account_page(username)


@bp.route("/users/<username>/password", methods=["POST"])
@roles_required(*ADMINS)
def password(username: str) -> ResponseReturnValue:
    new = request.form.get("password", "")
    if new != request.form.get("password2", ""):
        flash(tr("两次输入的密码不一致", "The two passwords differ"), "error")
        return _account_page(username, 400)
    try:
        with db.transaction() as s:
            accounts.reset_password(s, accounts.get_account(s, user().username), username, new)
    except SalesyncError as exc:
        message, status = _refusal(exc)
        flash(message, "error")
        return _account_page(username, status)
    flash(tr("已重设 {u} 的密码", "Reset the password of {u}").format(u=username), "success")
    return redirect(url_for("admin.account_page", username=username))


@bp.route("/users/<username>/unlock", methods=["POST"])
@roles_required(*ADMINS)
def unlock(username: str) -> ResponseReturnValue:
    """Lift the lock that wrong passwords put on an account's sign-in."""
    try:
        with db.transaction() as s:
            accounts.unlock(s, accounts.get_account(s, user().username), username)
    except SalesyncError as exc:
        message, status = _refusal(exc)
        flash(message, "error")
        return _account_page(username, status)
    flash(tr("已解锁 {u} 的登录", "Unlocked the sign-in of {u}").format(u=username), "success")
    return redirect(url_for("admin.account_page", username=username))


@bp.route("/users/<username>/disable", methods=["POST"])
@roles_required(*ADMINS)
def disable(username: str) -> ResponseReturnValue:
    if request.form.get("confirm") != "yes":
        flash(tr("请勾选确认后再停用", "Tick the confirmation to disable"), "error")
        return _account_page(username, 400)
    try:
        with db.transaction() as s:
            accounts.disable(s, accounts.get_account(s, user().username), username)
    except SalesyncError as exc:
        message, status = _refusal(exc)
        flash(message, "error")
        return _account_page(username, status)
    flash(tr("已停用用户 {u}", "Disabled user {u}").format(u=username), "success")
    return redirect(url_for("admin.index"))


@bp.route("/regions", methods=["POST"])
@roles_required(*ADMINS)
def new_region() -> ResponseReturnValue:
    code = request.form.get("code", "").strip()
    name = request.form.get("name", "").strip()
    try:
        with db.transaction() as s:
            accounts.create_region(s, accounts.get_account(s, user().username), code, name)
    except SalesyncError as exc:
        message, status = _refusal(exc)
        flash(message, "error")
        return _index_page({"code": code, "name": name}, status)
    flash(tr("已新建地区 {c} {n}", "Created region {c} {n}").format(c=code, n=name), "success")
    return redirect(url_for("admin.index"))
