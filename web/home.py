"""我的任务: the signed-in account's tasks (DOMAIN.md §5), computed by ``sync.tasks``."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from sync.tasks import tasks_for
from web import db
from web.auth import user

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    tasks = tasks_for(db.session(), user().username)
    return render_template("home/index.html", tasks=tasks)
