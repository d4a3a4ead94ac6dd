"""报表 (Reports)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from web.access import REPORT_READERS
from web.auth import roles_required

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/")
@roles_required(*REPORT_READERS)
def index() -> ResponseReturnValue:
    return render_template("reports/index.html")
