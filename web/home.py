"""我的任务: the signed-in account's tasks (docs/domain.md §5), computed by ``sync.domain.tasks``; a task about
something the portal shows (a change set to sign, a reconciliation run to explain, a collision to
settle or a dormant customer to reassign) links to it."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from sync.domain.tasks import Task, tasks_for
from sync.reconcile.cadence import cadence_tasks
from web import db
from web.auth import user
from web.i18n import tr
from web.listing import Listing, paged_list

bp = Blueprint("home", __name__)

_NUMBER = re.compile(r"#(\d+)$")


#: tasks about a customer (their subject is the phone), and where the 客户归属 page lists them
CUSTOMER_TASKS = {"撞单": "collisions", "休眠客户": "dormant"}


#: the task kinds in English (the service names them in Chinese, as the workbooks do)
TASK_KINDS_EN = {
    "催款": "Payment due",
    "签约": "Contract due",
    "问卷": "Questionnaire",
    "跟进": "Follow-up",
    "休眠客户": "Dormant customer",
    "撞单": "Collision",
    "特殊事务": "Special transaction",
    "签字": "Signature",
    "对账差异": "Reconciliation mismatch",
    "对账缺失": "Missing check",
    "变更驳回": "Change set rejected",
}


def task_kind(kind: str) -> str:
    """A task kind in the page's language."""
    return tr(kind, TASK_KINDS_EN.get(kind, kind))


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


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """All tasks, or those of one kind (``?kind=催款``), searched (``?q=``: subject or detail), sorted and
    paged; the count of each kind on top."""
    tasks = tasks_for(db.session(), user().username)
    gaps = cadence_tasks(db.session(), user().username, tasks.today)
    if gaps:  # the controller's missing checks (a floor above the task list: added here)
        tasks.tasks = sorted(
            tasks.tasks + gaps, key=lambda t: (-t.overdue_days, t.due or dt.date.max, t.kind, t.subject)
        )
    kinds = Counter(t.kind for t in tasks.tasks)
    listing = Listing.from_request(filters=("kind", "overdue"), sorts=SORTS)
    kind = listing.get("kind") or None
    shown = [t for t in tasks.tasks if t.kind == kind] if kind in kinds else tasks.tasks
    if listing.get("overdue"):
        shown = [t for t in shown if t.overdue]
    if listing.q:
        needle = listing.q.lower()
        shown = [t for t in shown if needle in t.subject.lower() or needle in t.detail.lower()]
    listed = paged_list(shown, listing, SORTS)
    return render_template(
        "home/index.html",
        tasks=tasks,
        listed=listed,
        listing=listing,
        kinds=kinds,
        kind=kind,
        task_link=task_link,
        task_kind=task_kind,
    )


#: the sortable columns of 我的任务 (the default order is the service's: most overdue first)
SORTS: dict[str, Callable[[Task], Any]] = {
    "due": lambda t: t.due or dt.date.max,
    "kind": lambda t: t.kind,
    "subject": lambda t: t.subject,
    "amount": lambda t: t.amount or 0,
}
