"""我的任务: the signed-in account's tasks (docs/domain.md §5), a page at a time as ``sync.domain.task_pages``
computes it on the database server, with the controller's missing checks (``sync.reconcile.cadence``)
merged in; a task about
something the portal shows (a change set to sign, a reconciliation run to explain, a collision to
settle or a dormant customer to reassign) links to it."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from schema.base import SHANGHAI
from sync.domain.task_pages import DUE, OVERDUE, TaskQuery, kind_name, task_page
from sync.domain.tasks import Task
from sync.reconcile.cadence import cadence_tasks
from web import db
from web.auth import user
from web.i18n import lang
from web.listing import Listing, Page
from web.scope import visible_projects

bp = Blueprint("home", __name__)

_NUMBER = re.compile(r"#(\d+)$")


#: tasks about a customer (their subject is the phone), and where the 客户归属 page lists them
CUSTOMER_TASKS = {"撞单": "collisions", "休眠客户": "dormant"}


def task_kind(kind: str) -> str:
    """A task kind in the page's language (the words are in the service's one catalog)."""
    return kind_name(kind, lang())


def task_link(task: Task) -> str | None:
    if task.kind in CUSTOMER_TASKS:
        return url_for("customers.index", phone=task.subject, _anchor=CUSTOMER_TASKS[task.kind])
    if task.kind == "对账缺失":
        return url_for("reconcile.index", gap_project=task.subject.split(" ", 1)[0], _anchor="cadence")
    found = _NUMBER.search(task.subject)
    if found is None:
        return None
    if task.kind in ("签字", "变更驳回"):
        return url_for("changes.detail", change_set_id=int(found.group(1)))
    if task.kind == "对账差异":
        return url_for("reconcile.run", run_id=int(found.group(1)))
    return None


#: the list's state in the URL: ``kind``, ``project``, ``state`` (overdue / due), ``q``, ``sort=due``
#: and ``dir=desc`` (latest due first), ``page``; ``overdue=1`` is the older way to say ``state=overdue``
FILTERS = ("kind", "project", "state", "overdue")
SORTS = ("due",)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """One page of the account's tasks, cut on the server (``sync.domain.task_pages``): of one kind,
    one project, overdue or not yet, searched in the subject, the customer and the room, in due order
    either way; the count of each kind on top."""
    session = db.session()
    username = user().username
    listing = Listing.from_request(filters=FILTERS, sorts=SORTS, default_sort="due")
    state = listing.get("state") if listing.get("state") in (OVERDUE, DUE) else ""
    if listing.get("overdue") and not state:
        state = OVERDUE
    today = dt.datetime.now(SHANGHAI).date()
    query = TaskQuery(
        kind=listing.get("kind"),
        project=listing.get("project"),
        state=state,
        q=listing.q,
        descending=listing.descending,
        offset=listing.offset,
        limit=listing.size,
    )
    gaps = cadence_tasks(session, username, today)  # the controller's missing checks (a floor above)
    tasks = task_page(session, username, query, today, extra=gaps)
    listed: Page[Task] = Page(tasks.tasks, tasks.total, listing)
    return render_template(
        "home/index.html",
        tasks=tasks,
        listed=listed,
        listing=listing,
        kinds=tasks.counts,
        kind=query.kind or None,
        state=state,
        projects=[p.code for p in visible_projects(session)],
        task_link=task_link,
        task_kind=task_kind,
    )
