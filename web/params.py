"""Malformed parameters are the asker's mistake (400) or a record that does not exist (404), never
a server error: ids in URLs are bounded to what the database stores, ``page`` is a small positive
number, dates lie in a plausible span, and whatever still overflows a date or a column answers 400."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask, abort, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError
from werkzeug.routing import IntegerConverter

from web import db
from web.errors import _page
from web.i18n import tr

#: the largest id a URL may carry: the databases' 32-bit integer columns
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
_PAGE = re.compile(r"[0-9]{1,7}")
#: dates outside this span are no business date (and 9999-12-31 plus a day overflows)
FIRST_YEAR, LAST_YEAR = 1900, 2200


class BoundedInt(IntegerConverter):
    """``<int:…>`` that matches only what an id column can hold: a larger number is a 404."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def plausible(day: dt.date) -> dt.date:
    """``day`` if it lies in the plausible span; otherwise ValueError (the caller's words)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day} is outside {FIRST_YEAR}–{LAST_YEAR}")
    return day


def _check_page() -> None:
    raw = request.args.get("page")
    if raw is not None and raw != "" and (not _PAGE.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE):
        abort(400)


def _overflow(_exc: Exception) -> ResponseReturnValue:
    db.session().rollback()
    return _page(
        400,
        tr("请求有误", "Bad request"),
        tr(
            "参数超出可处理的范围（日期或数字过大）。",
            "A parameter is out of range (a date or number too large).",
        ),
    )


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
    app.before_request(_check_page)
    app.register_error_handler(OverflowError, _overflow)
    app.register_error_handler(DataError, _overflow)
