"""变更单 (Change sets, docs/domain.md §6): the list, the exact diff, and signing in the browser.

Everything is ``sync.domain.signing``: who must sign, whether this user may, the signature itself (the
signer re-enters their password) and applying a complete change set. A refusal is shown as the
service words it. Regional users see their region's change sets; group-wide roles see all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from schema.models import ChangeItem, ChangeSet
from schema.models.audit import APPLIED, APPROVE, PENDING, REJECTED, SUPERSEDED
from sync.core.errors import SalesyncError
from sync.domain import signing
from sync.domain.changeset_export import change_set_workbook
from sync.domain.changeset_summary import summarize
from sync.domain.signing import Requirement, Review, SigningRefused
from sync.kinds.project_master import KIND
from web import db
from web.access import CHANGE_VIEWERS
from web.auth import account, roles_required, throttle, user
from web.i18n import lang, tr
from web.listing import Listing, paged_list
from web.present import role_title, xlsx
from web.scope import sees_all

bp = Blueprint("changes", __name__, url_prefix="/changes")

DIFF_PAGE = 100  # changed fields listed per page of a change set

#: the list's filter: query value → stored status, and its words
STATUSES = {
    "pending": (PENDING, "待签", "Pending"),
    "applied": (APPLIED, "已生效", "Applied"),
    "rejected": (REJECTED, "已驳回", "Rejected"),
    "superseded": (SUPERSEDED, "已作废", "Superseded"),
}
#: the HTTP status of a refused signature, by the service's code (default 403)
REFUSAL_STATUS = {
    "change-set-unknown": 404,
    "sign-reason-required": 400,
    "sign-not-pending": 409,
    "sign-altered": 409,
    "sign-conflict": 409,
}


def status_words(stored: str) -> str:
    found = next((v for v in STATUSES.values() if v[0] == stored), (stored, stored, stored))
    return tr(found[1], found[2])


def need_words(req: Requirement) -> str:
    """A signature still needed, in the page's language."""
    if len(req.roles) == 1:
        return role_title(next(iter(req.roles)).value)
    return tr(req.title, f"{role_title('senior_manager')} or above")


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "status_words": status_words,
        "need_words": need_words,
        "statuses": STATUSES,
        "PENDING": PENDING,
        "APPROVE": APPROVE,
    }


def _visible(cs: ChangeSet) -> bool:
    """Group-wide roles see all; others their region's, and a project-limited account only those
    touching its projects alone."""
    me = user()
    if sees_all(me):
        return True
    if me.projects is not None and not set(cs.projects) <= me.projects:
        return False
    return me.region_code in signing.regions(db.session(), cs)


def _may_sign(cs: ChangeSet) -> str | None:
    """Why the signed-in user may not sign ``cs`` now (words), or None when they may."""
    return signing.why_not(db.session(), cs, account(), lang())


@bp.route("/")
@roles_required(*CHANGE_VIEWERS)
def index() -> ResponseReturnValue:
    chosen = request.args.get("status", "all")
    stored = STATUSES[chosen][0] if chosen in STATUSES else None
    reviews = [r for r in signing.change_sets(db.session(), status=stored) if _visible(r.change_set)]
    reviews.sort(key=lambda r: (r.change_set.status != PENDING, -r.change_set.id))
    signable = {
        r.change_set.id for r in reviews if r.change_set.status == PENDING and not _may_sign(r.change_set)
    }
    return render_template(
        "changes/index.html", reviews=reviews, chosen=chosen if stored else "all", signable=signable
    )


@dataclass
class SheetRows:
    """Rows added (or removed) on one sheet: their headers and values, as the workbook had them."""

    sheet: str
    headers: list[str]
    rows: list[tuple[str, list[str]]] = field(default_factory=list)


def rows_of(items: list[ChangeItem], op: str) -> list[SheetRows]:
    groups: dict[str, SheetRows] = {}
    for item in items:
        if item.op != op:
            continue
        values = json.loads((item.new if op == "add" else item.old) or "{}")
        name = item.sheet or KIND.sheet(item.entity).name
        group = groups.setdefault(name, SheetRows(name, list(values)))
        group.rows.append((item.key, [values.get(h) or "" for h in group.headers]))
    return list(groups.values())


def changes_of(items: list[ChangeItem]) -> list[tuple[str, str, str, str, str]]:
    """Fields changed: sheet, key, column header, old → new."""
    return [
        (
            i.sheet or KIND.sheet(i.entity).name,
            i.key,
            KIND.sheet(i.entity).header(i.field) if i.field else "",
            i.old or "",
            i.new or "",
        )
        for i in items
        if i.op == "change"
    ]


def _detail_page(change_set_id: int, status: int = 200, reason: str = "") -> ResponseReturnValue:
    try:
        r: Review = signing.review(db.session(), change_set_id)
    except SigningRefused:
        abort(404)
    if not _visible(r.change_set):
        abort(404)
    why_not = _may_sign(r.change_set)
    changed = paged_list(changes_of(r.items), Listing.from_request(size=DIFF_PAGE))
    # the rows added and removed page apart (an initial load adds thousands of rooms)
    added = paged_list(
        [i for i in r.items if i.op == "add"], Listing.from_request(size=DIFF_PAGE, page_param="apage")
    )
    removed = paged_list(
        [i for i in r.items if i.op == "remove"], Listing.from_request(size=DIFF_PAGE, page_param="rpage")
    )
    return render_template(
        "changes/detail.html",
        r=r,
        cs=r.change_set,
        summary=summarize(db.session(), r.items),
        added=rows_of(list(added.items), "add"),
        added_page=added,
        changed=changed.items,
        changed_page=changed,
        removed=rows_of(list(removed.items), "remove"),
        removed_page=removed,
        required=signing.requirements(r.change_set),
        may_sign=r.change_set.status == PENDING and why_not is None,
        why_not=why_not,
        reason=reason,
    ), status


@bp.route("/<int:change_set_id>")
@roles_required(*CHANGE_VIEWERS)
def detail(change_set_id: int) -> ResponseReturnValue:
    return _detail_page(change_set_id)


@bp.route("/<int:change_set_id>/export")
@roles_required(*CHANGE_VIEWERS)
def export(change_set_id: int) -> ResponseReturnValue:
    """The change set as a workbook: the summary, the fields changed and the rows added and removed."""
    found = db.session().get(ChangeSet, change_set_id)
    if found is None or not _visible(found):
        abort(404)
    data = change_set_workbook(db.session(), change_set_id)
    return xlsx(data, f"变更单-{change_set_id}.xlsx")


def _signed(result: signing.SignResult) -> str:
    if result.status == APPLIED:
        return tr(
            "已签字，变更单 #{id} 已生效：写入 {n} 行",
            "Signed: change set #{id} is in effect, {n} rows written",
        ).format(id=result.change_set_id, n=result.rows_written)
    if result.status == REJECTED:
        return tr("已驳回变更单 #{id}", "Rejected change set #{id}").format(id=result.change_set_id)
    return tr("已签字，变更单 #{id} 还需 {m} 签字", "Signed: change set #{id} still needs {m}").format(
        id=result.change_set_id, m="、".join(result.missing)
    )


def _signature(change_set_id: int, *, rejecting: bool) -> ResponseReturnValue:
    found = db.session().get(ChangeSet, change_set_id)
    if found is None or not _visible(found):
        abort(404)
    password = request.form.get("password", "")
    reason = request.form.get("reason", "")
    # A signature re-enters the password: guessing it is as slow as at sign-in, counted for this
    # session alone — nobody else's failures (at sign-in or elsewhere) can stop it from signing.
    me = f"{user().id}:{session.get('sid', '')}"
    if throttle("sign").blocked(me):
        flash(
            tr(
                "密码错误次数过多，请 15 分钟后再签字",
                "Too many wrong passwords: try signing again in 15 minutes",
            ),
            "error",
        )
        return _detail_page(change_set_id, 429, reason)
    try:
        with db.transaction() as s:
            if rejecting:
                result = signing.reject(s, change_set_id, user().username, password, reason)
            else:
                result = signing.sign(s, change_set_id, user().username, password)
    except SigningRefused as exc:
        if exc.code == "sign-wrong-password":
            throttle("sign").failed(me)
        flash(exc.message(lang()), "error")
        return _detail_page(change_set_id, REFUSAL_STATUS.get(exc.code, 403), reason)
    except SalesyncError as exc:
        flash(str(exc), "error")
        return _detail_page(change_set_id, 400, reason)
    throttle("sign").succeeded(me)
    flash(_signed(result), "success")
    return redirect(url_for("changes.detail", change_set_id=change_set_id))


@bp.route("/<int:change_set_id>/sign", methods=["POST"])
@roles_required(*CHANGE_VIEWERS)
def sign(change_set_id: int) -> ResponseReturnValue:
    return _signature(change_set_id, rejecting=False)


@bp.route("/<int:change_set_id>/reject", methods=["POST"])
@roles_required(*CHANGE_VIEWERS)
def reject(change_set_id: int) -> ResponseReturnValue:
    return _signature(change_set_id, rejecting=True)
