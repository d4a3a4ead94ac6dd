"""变更单 (Change sets)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from web.access import CHANGE_VIEWERS
from web.auth import roles_required

bp = Blueprint("changes", __name__, url_prefix="/changes")


@bp.route("/")
@roles_required(*CHANGE_VIEWERS)
def index() -> ResponseReturnValue:
    return render_template("changes/index.html")
