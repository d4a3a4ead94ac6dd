"""我的任务: the signed-in account's tasks (docs/domain.md §5), computed by ``sync.domain.tasks``; a task about
something the portal shows (a change set to sign, a reconciliation run to explain, a collision to
settle or a dormant customer to reassign) links to it."""

from __future__ import annotations

import re
from collections import Counter

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from sync.domain.tasks import Task, tasks_for
from web import db
from web.auth import user

bp = Blueprint("home", __name__)

_NUMBER = re.compile(r"#(\d+)$")


#: tasks about a customer (their subject is the phone), and where the 客户归属 page lists them
CUSTOMER_TASKS = {"撞单": "collisions", "休眠客户": "dormant"}


def task_link(task: Task) -> str | None:
    if task.kind in CUSTOMER_TASKS:
        return url_for("customers.index", phone=task.subject, _anchor=CUSTOMER_TASKS[task.kind])
    found = _NUMBER.search(task.subject)
    if found is None:
        return None
    if task.kind == "签字":
        return url_for("changes.detail", change_set_id=int(found.group(1)))
    if task.kind == "对账差异":
        return url_for("reconcile.run", run_id=int(found.group(1)))
    return None


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """All tasks, or those of one kind (``?kind=催款``); the count of each kind on top."""
    tasks = tasks_for(db.session(), user().username)
    kinds = Counter(t.kind for t in tasks.tasks)
    kind = request.args.get("kind")
    shown = [t for t in tasks.tasks if t.kind == kind] if kind in kinds else tasks.tasks
    return render_template(
        "home/index.html", tasks=tasks, shown=shown, kinds=kinds, kind=kind, task_link=task_link
    )
