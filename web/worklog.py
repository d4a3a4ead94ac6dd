"""工作日志: the hash-chained work log (docs/domain.md §7) for the admins who answer for it — filtered by
who, what, which operation and when, paged in SQL, and the chain verified on request (``audit verify``).

A regional admin sees the entries of their region's accounts; the group admin every entry. Verifying
reads the whole chain, so it runs when asked, not on every page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from schema.base import SHANGHAI
from schema.models import Account, WorkLogEntry
from sync.domain import worklog
from web import db
from web.access import ADMINS
from web.auth import roles_required, user
from web.i18n import lang
from web.listing import Listing, paged, search
from web.scope import sees_all

bp = Blueprint("worklog", __name__, url_prefix="/worklog")

#: the sortable columns (newest first unless asked otherwise)
ORDER = {"seq": WorkLogEntry.id, "entity": WorkLogEntry.entity, "account": Account.username}


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), SHANGHAI)


@bp.route("/")
@roles_required(*ADMINS)
def index() -> ResponseReturnValue:
    who = user()
    listing = Listing.from_request(filters=("entity", "op", "account", "from", "to"), sorts=ORDER)
    if "sort" not in request.args:
        listing = dataclasses.replace(listing, sort="seq", descending=True)
    session = db.session()
    stmt = select(WorkLogEntry, Account).outerjoin(Account, Account.id == WorkLogEntry.account_id)
    if not sees_all(who):
        stmt = stmt.where(Account.region_id == who.region_id)
    for name, column in (
        ("entity", WorkLogEntry.entity),
        ("op", WorkLogEntry.op),
        ("account", Account.username),
    ):
        if listing.get(name):
            stmt = stmt.where(column == listing.get(name))
    start, end = _day(listing.get("from")), _day(listing.get("to"))
    if start is not None:
        stmt = stmt.where(WorkLogEntry.at >= _start(start))
    if end is not None:
        stmt = stmt.where(WorkLogEntry.at < _start(end + dt.timedelta(days=1)))
    stmt = search(stmt, listing.q, WorkLogEntry.key, WorkLogEntry.new, WorkLogEntry.changes)
    listed = paged(session, stmt, listing, ORDER)
    entities = sorted(session.scalars(select(WorkLogEntry.entity).distinct()))
    ops = sorted(session.scalars(select(WorkLogEntry.op).distinct()))
    chain = worklog.verify(session) if request.args.get("verify") else None
    return render_template(
        "worklog/index.html",
        listed=listed,
        listing=listing,
        entities=entities,
        ops=ops,
        chain=chain,
        chain_words=chain.message(lang()) if chain is not None else "",
    )
