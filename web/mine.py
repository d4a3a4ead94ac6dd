"""For the sales rep: 查重 (is this phone or ID someone's customer already, and since when — told only as
far as the rep may know) and 我的客户 (their customers, with follow-ups due and dormancy coming), both
answered by ``sync.domain.duplicates``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from sync.domain import duplicates
from web import db
from web.access import CHECKERS, REPS
from web.auth import roles_required, user
from web.listing import Listing, paged_list

bp = Blueprint("mine", __name__, url_prefix="/mine")

SORTS: dict[str, Callable[[duplicates.MyCustomer], Any]] = {
    "name": lambda c: c.customer.name,
    "phone": lambda c: c.customer.phone,
    "last": lambda c: c.idle.last_day or c.today,
    "dormant": lambda c: c.dormant_in if c.dormant_in is not None else 10**6,
}


@bp.route("/check")
@roles_required(*CHECKERS)
def check() -> ResponseReturnValue:
    """查重: the form, and its answer when a phone or ID was given (GET: the answer may be bookmarked)."""
    typed = request.args.get("q", "").strip()[:40]
    answer = duplicates.check(db.session(), user().username, typed) if typed else None
    return render_template("mine/check.html", typed=typed, answer=answer)


@bp.route("/")
@roles_required(*REPS)
def customers() -> ResponseReturnValue:
    """我的客户: searched by name or phone, filtered by what is due (``due=follow-up`` / ``dormant``)."""
    listing = Listing.from_request(filters=("due",), sorts=SORTS, default_sort="dormant")
    mine = duplicates.my_customers(db.session(), user().username)
    counts = {
        "follow-up": sum(c.follow_up_overdue for c in mine),
        "dormant": sum(c.dormant_soon for c in mine),
    }
    due = listing.get("due")
    if due == "follow-up":
        mine = [c for c in mine if c.follow_up_overdue]
    elif due == "dormant":
        mine = [c for c in mine if c.dormant_soon]
    if listing.q:
        needle = listing.q.lower()
        mine = [c for c in mine if needle in c.customer.phone or needle in c.customer.name.lower()]
    return render_template(
        "mine/customers.html",
        listed=paged_list(mine, listing, SORTS),
        listing=listing,
        counts=counts,
        total=len(mine),
    )
