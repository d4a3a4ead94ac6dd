"""账号管理 (Accounts)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from web.access import ADMINS
from web.auth import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles_required(*ADMINS)
def index() -> ResponseReturnValue:
    return render_template("admin/index.html")
