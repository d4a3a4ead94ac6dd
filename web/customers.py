"""客户归属 (Customer ownership, docs/domain.md §3): the sales manager settles collisions (撞单) and
reassigns dormant customers, in the browser.

Everything is ``sync.domain.ownership``: which collisions and dormant customers the manager's region has,
who may settle or reassign, and the change itself, recorded and logged. A refusal is shown as the
service words it, on the page, never as a traceback.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from schema.base import SHANGHAI
from schema.models import Collision
from sync.core.errors import OwnershipRefused, SalesyncError
from sync.domain import ownership
from web import db
from web.access import OWNERSHIP
from web.auth import roles_required, user
from web.i18n import lang, tr

bp = Blueprint("customers", __name__, url_prefix="/customers")

#: the HTTP status of a refusal, by the service's code (default 400)
REFUSAL_STATUS = {"collision-unknown": 404, "customer-unknown": 404, "collision-settled": 409} | {
    code: 403 for code in ownership.FORBIDDEN
}


def _page(status: int = 200, retry: dict[str, str] | None = None) -> ResponseReturnValue:
    """The page: open collisions and dormant customers of the signed-in manager's region.
    ``retry`` carries back what a refused form held (``form``: which one)."""
    session = db.session()
    try:
        actor = ownership.manager(session, user().username)
    except OwnershipRefused:
        abort(403)
    today = dt.datetime.now(SHANGHAI).date()
    return render_template(
        "customers/index.html",
        collisions=ownership.open_collisions(session, actor),
        dormant=ownership.dormant_customers(session, actor.region_id, today),
        reps=ownership.reps(session, actor),
        today=today,
        focus=request.args.get("phone", ""),
        retry=retry or {},
    ), status


@bp.route("/")
@roles_required(*OWNERSHIP)
def index() -> ResponseReturnValue:
    return _page()


def _refused(exc: SalesyncError, retry: dict[str, str]) -> ResponseReturnValue:
    if isinstance(exc, OwnershipRefused):
        flash(exc.message(lang()), "error")
        return _page(REFUSAL_STATUS.get(exc.code, 400), retry)
    flash(str(exc), "error")
    return _page(400, retry)


def _settled(done: Collision) -> str:
    customer, owner = done.customer, done.customer.owner
    if done.status == ownership.TRANSFERRED:
        words = tr(
            "已把客户 {c}（{p}）转给录入人 {o}", "Customer {c} ({p}) now belongs to {o}, who entered it"
        )
    else:
        words = tr("已处理撞单：客户 {c}（{p}）维持归属 {o}", "Settled: customer {c} ({p}) stays with {o}")
    return words.format(c=customer.name, p=customer.phone, o=f"{owner.display_name}（{owner.username}）")


@bp.route("/collisions/<int:collision_id>/settle", methods=["POST"])
@roles_required(*OWNERSHIP)
def settle(collision_id: int) -> ResponseReturnValue:
    action = request.form.get("action", "")
    note = request.form.get("note", "")
    if action not in ("keep", "transfer"):
        abort(400)
    try:
        with db.transaction() as s:
            done = ownership.settle_collision(
                s, collision_id, user().username, transfer=action == "transfer", note=note
            )
            words = _settled(done)
    except SalesyncError as exc:
        return _refused(exc, {"form": f"collision-{collision_id}", "note": note})
    flash(words, "success")
    return redirect(url_for("customers.index"))


@bp.route("/<phone>/reassign", methods=["POST"])
@roles_required(*OWNERSHIP)
def reassign(phone: str) -> ResponseReturnValue:
    to = request.form.get("to", "")
    reason = request.form.get("reason", "")
    try:
        with db.transaction() as s:
            moved = ownership.reassign_customer(s, phone, user().username, to, reason)
            c, after = moved.customer, moved.after
            words = tr("已将客户 {c}（{p}）重新分配给 {t}", "Customer {c} ({p}) reassigned to {t}").format(
                c=c.name, p=c.phone, t=f"{after.display_name}（{after.username}）"
            )
    except SalesyncError as exc:
        return _refused(exc, {"form": f"dormant-{phone}", "to": to, "reason": reason})
    flash(words, "success")
    return redirect(url_for("customers.index"))
