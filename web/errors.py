"""Error pages in the user's language; a stale or missing CSRF token is a page, not a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.i18n import tr


def _page(code: int, title: str, detail: str) -> ResponseReturnValue:
    return render_template("error.html", code=code, title=title, detail=detail), code


def _http(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    titles = {
        400: (tr("请求有误", "Bad request"), tr("请返回上一页重试。", "Go back and try again.")),
        403: (
            tr("无权访问", "Not allowed"),
            tr("您的角色不能打开此页面。", "Your roles do not open this page."),
        ),
        404: (tr("页面不存在", "Not found"), tr("没有这个页面或记录。", "No such page or record.")),
        413: (tr("文件过大", "File too large"), tr("上传的文件超过 64 MB。", "The upload exceeds 64 MB.")),
    }
    title, detail = titles.get(code, (exc.name, exc.description or ""))
    return _page(code, title, detail)


def _csrf(_exc: CSRFError) -> ResponseReturnValue:
    return _page(
        400,
        tr("页面已过期", "The page has expired"),
        tr(
            "表单已失效，请刷新页面后再提交。",
            "The form is no longer valid: reload the page and submit again.",
        ),
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
