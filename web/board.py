"""楼盘表 (Room board)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from web.access import BOARD_VIEWERS
from web.auth import roles_required

bp = Blueprint("board", __name__, url_prefix="/board")


@bp.route("/")
@roles_required(*BOARD_VIEWERS)
def index() -> ResponseReturnValue:
    return render_template("board/index.html")
