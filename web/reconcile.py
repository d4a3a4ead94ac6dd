"""双轨对账 (Reconciliation)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from web.access import RECONCILERS
from web.auth import roles_required

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")


@bp.route("/")
@roles_required(*RECONCILERS)
def index() -> ResponseReturnValue:
    return render_template("reconcile/index.html")
