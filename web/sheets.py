"""在线表格 (Online sheets): admins register a Google Sheet as an account's workbook of a kind, see how
each one's last read went, and stop syncing one. The registration rules are
``sync.sources.sheets``'s, the same the command line follows; reading the sheets is the watcher's
(or ``salesync sheets sync``'s), never a page's.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from sync.core.errors import Refused, SalesyncError
from sync.domain import accounts
from sync.kinds import all_kinds
from sync.sources import sheets
from web import db
from web.access import ADMINS
from web.auth import account, roles_required
from web.i18n import lang, tr

bp = Blueprint("sheets", __name__, url_prefix="/admin/sheets")


def _page(form: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    in_scope = accounts.accounts_in_scope(db.session(), account())
    rows = sheets.sheet_status(db.session(), account_ids={a.id for a in in_scope})
    return render_template(
        "sheets/index.html",
        rows=rows,
        accounts=[a for a in in_scope if a.active],
        kinds=all_kinds(),
        form=form or {"url": "", "username": "", "kind": ""},
    ), status


@bp.route("/")
@roles_required(*ADMINS)
def index() -> ResponseReturnValue:
    return _page()


@bp.route("/", methods=["POST"])
@roles_required(*ADMINS)
def add() -> ResponseReturnValue:
    form = {k: request.form.get(k, "").strip() for k in ("url", "username", "kind")}
    in_scope = {a.username for a in accounts.accounts_in_scope(db.session(), account())}
    if form["username"] not in in_scope:
        flash(tr("只能为本地区的账号登记", "Only accounts you administer"), "error")
        return _page(form, 403)
    try:
        with db.transaction() as s:
            sheet = sheets.register(
                s, form["url"], form["username"], form["kind"], by=accounts.get_account(s, account().username)
            )
            sheet_id = sheet.id
    except SalesyncError as exc:
        flash(exc.message(lang()) if isinstance(exc, Refused) else str(exc), "error")
        return _page(form, 400)
    flash(tr("已登记在线表格 #{n}", "Registered online sheet #{n}").format(n=sheet_id), "success")
    return redirect(url_for("sheets.index"))


@bp.route("/<int:sheet_id>/remove", methods=["POST"])
@roles_required(*ADMINS)
def remove(sheet_id: int) -> ResponseReturnValue:
    in_scope = {a.id for a in accounts.accounts_in_scope(db.session(), account())}
    with db.transaction() as s:
        try:
            sheet = sheets.get(s, sheet_id)
        except SalesyncError:
            abort(404)
        if sheet.account_id not in in_scope:
            abort(404)
        sheets.unregister(s, sheet_id, by=accounts.get_account(s, account().username))
    flash(
        tr("在线表格 #{n} 已停止同步", "Online sheet #{n} is no longer synced").format(n=sheet_id), "success"
    )
    return redirect(url_for("sheets.index"))
