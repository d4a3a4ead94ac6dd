"""How values read on every page: instants in Beijing time, role names, Excel downloads."""

from __future__ import annotations

import datetime as dt
import io
from typing import IO

from flask import Flask, Response, send_file

from schema.base import SHANGHAI
from schema.roles import Role
from web.i18n import tr

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def when(at: dt.datetime | None, seconds: bool = False) -> str:
    """An instant as the users read it: Beijing time, to the minute (or the second)."""
    if at is None:
        return ""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def role_title(key: str | Role) -> str:
    """A role as the user reads it, in the page's language."""
    role = Role(key)
    return tr(role.title_zh, role.title_en)


def file_name(path: str) -> str:
    """The file name of a path recorded on any system (a drive path may use backslashes)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def xlsx(data: bytes, filename: str) -> Response:
    """An Excel workbook as a download; the UTF-8 name travels in ``filename*``. Never cached: the
    workbooks carry customers' names and phones."""
    response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def xlsx_file(data: IO[bytes], filename: str) -> Response:
    """A workbook written to a (temporary) file as a download, sent from the file in chunks rather
    than read into memory; the file is closed when the response is."""
    data.seek(0)
    response = send_file(data, mimetype=XLSX, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(when=when, role_title=role_title, file_name=file_name)
