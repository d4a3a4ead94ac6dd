"""客户归属 (Customer ownership, docs/domain.md §3): the sales manager settles collisions (撞单) and
reassigns dormant customers, in the browser.

Everything is ``sync.domain.ownership``: which collisions and dormant customers the manager's region has,
who may settle or reassign, and the change itself, recorded and logged. A refusal is shown as the
service words it, on the page, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import or_, select

from schema.base import SHANGHAI
from schema.models import Account, Collision, Customer
from sync.core.errors import OwnershipRefused, SalesyncError
from sync.domain import duplicates, ownership
from sync.domain.dormant import dormant_query
from web import db
from web.access import OWNERSHIP
from web.auth import roles_required, user
from web.i18n import lang, tr
from web.listing import Listing, Page, paged, search

bp = Blueprint("customers", __name__, url_prefix="/customers")

#: the HTTP status of a refusal, by the service's code (default 400)
REFUSAL_STATUS = {"collision-unknown": 404, "customer-unknown": 404, "collision-settled": 409} | {
    code: 403 for code in ownership.FORBIDDEN
}


#: the sortable columns of the collisions list
COLLISION_ORDER = {
    "detected": Collision.detected_at,
    "phone": Customer.phone,
    "name": Customer.name,
    "id": Collision.id,
}
#: the sortable columns of the dormant list (counted and cut in SQL: sync.domain.dormant)
DORMANT_SORTS = ("idle", "phone", "name")


def _lists(actor: Account, today: dt.date) -> dict[str, Any]:
    """Both lists, searched (name or phone; ``?phone=`` from a task is a search for that phone), filtered
    by owner and paged apart (``cpage``, ``dpage``)."""
    session = db.session()
    focus = request.args.get("phone", "").strip()
    cl = Listing.from_request(filters=("owner",), sorts=COLLISION_ORDER, page_param="cpage")
    dl = Listing.from_request(filters=("owner",), sorts=DORMANT_SORTS, page_param="dpage")
    text = cl.q or focus
    stmt = search(ownership.open_collisions_query(actor), text, Customer.phone, Customer.name)
    owner = cl.get("owner")
    if owner:
        owners = select(Account.id).where(Account.username == owner)
        stmt = stmt.where(or_(Customer.owner_id.in_(owners), Collision.account_id.in_(owners)))
    collisions = paged(session, stmt, cl, COLLISION_ORDER)
    dormant, order = dormant_query(actor.region_id, today)
    dormant = search(dormant, text, Customer.phone, Customer.name)
    if owner:
        dormant = dormant.where(Customer.owner_id.in_(select(Account.id).where(Account.username == owner)))
    found = paged(session, dormant, dl, order)
    idle = Page([ownership.Idle(c, last, False, moved) for c, last, moved in found.items], found.total, dl)
    return {
        "collisions": collisions,
        "evidence": duplicates.collision_evidence(session, list(collisions.items)),
        "dormant": idle,
        "cl": cl,
        "dl": dl,
        "focus": focus,
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
        reps=ownership.reps(session, actor),
        today=today,
        retry=retry or {},
        **_lists(actor, today),
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


def _bulk(
    items: list[str], act: Callable[[Any, str], str], form: str, retry: dict[str, str]
) -> ResponseReturnValue:
    """Do one thing to each ticked item, each in its own transaction: what was done is said, and the
    first refusal stops nothing else (each refused item is said too)."""
    if not items:
        flash(tr("请先勾选要处理的项目。", "Tick the items first."), "error")
        return _page(400, {"form": form, **retry})
    done, refused = 0, 0
    for item in items:
        try:
            with db.transaction() as s:
                words = act(s, item)
            flash(words, "success")
            done += 1
        except SalesyncError as exc:
            refused += 1
            flash(exc.message(lang()) if isinstance(exc, OwnershipRefused) else str(exc), "error")
    flash(
        tr("批量处理：完成 {d} 项，未完成 {r} 项", "Bulk: {d} done, {r} refused").format(d=done, r=refused),
        "success" if not refused else "warning",
    )
    return redirect(url_for("customers.index"))


@bp.route("/collisions/settle", methods=["POST"])
@roles_required(*OWNERSHIP)
def settle_many() -> ResponseReturnValue:
    """Settle the ticked collisions the same way, with one note."""
    action = request.form.get("action", "")
    note = request.form.get("note", "")
    if action not in ("keep", "transfer"):
        abort(400)
    ids = [i for i in request.form.getlist("collision") if i.isdigit()]

    def act(s: Any, item: str) -> str:
        done = ownership.settle_collision(
            s, int(item), user().username, transfer=action == "transfer", note=note
        )
        return _settled(done)

    return _bulk(ids, act, "bulk-settle", {"note": note})


@bp.route("/reassign", methods=["POST"])
@roles_required(*OWNERSHIP)
def reassign_many() -> ResponseReturnValue:
    """Give the ticked dormant customers to one rep, with one reason."""
    to = request.form.get("to", "")
    reason = request.form.get("reason", "")
    phones = [p for p in request.form.getlist("phone") if p.strip()]

    def act(s: Any, phone: str) -> str:
        moved = ownership.reassign_customer(s, phone, user().username, to, reason)
        c, after = moved.customer, moved.after
        return tr("已将客户 {c}（{p}）重新分配给 {t}", "Customer {c} ({p}) reassigned to {t}").format(
            c=c.name, p=c.phone, t=f"{after.display_name}（{after.username}）"
        )

    return _bulk(phones, act, "bulk-reassign", {"to": to, "reason": reason})
