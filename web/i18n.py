"""zh-CN by default, English on request: ``?lang=en`` (kept in a cookie) or the configured language.

Templates carry both wordings side by side, ``{{ tr("登录", "Sign in") }}``: a page's text is
written once, where it is shown.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, request

LANGS = ("zh", "en")
COOKIE = "salesync_lang"


def lang() -> str:
    chosen = g.get("lang")
    if chosen in LANGS:
        return str(chosen)
    return str(current_app.config.get("SALESYNC_LANG", "zh"))


def tr(zh: str, en: str) -> str:
    return en if lang() == "en" else zh


def with_lang(code: str) -> str:
    """This page's address in another language, its other query parameters kept."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return "?" + urlencode(args, doseq=True)


def _pick() -> None:
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    g.lang = asked if asked in LANGS else current_app.config.get("SALESYNC_LANG", "zh")


def _remember(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked in LANGS:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_pick)
    app.after_request(_remember)
    app.jinja_env.globals.update(tr=tr, lang=lang, with_lang=with_lang)
