"""The app factory: one Flask app around a service object, one blueprint per area; nothing runs at import."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, redirect, url_for

from sync.app import Salesync
from web import (
    access,
    admin,
    auth,
    board,
    changes,
    customers,
    db,
    errors,
    home,
    i18n,
    mine,
    notify,
    params,
    present,
    reconcile,
    reports,
    sessions,
    sheets,
    versions,
    worklog,
)
from web.secret import portal_secret


def create_app(service: Salesync, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=portal_secret(service.config),
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,  # an uploaded manual report
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
        SALESYNC_LANG=service.config.lang,
    )
    sessions.init_app(app, service.config)  # cookie flags, idle timeout, proxies, own password
    if overrides:
        app.config.update(overrides)
    app.extensions["salesync"] = service
    params.init_app(app)  # before the blueprints: their <int:…> ids are bounded
    app.jinja_env.globals.update(nav_items=access.nav_items, admin_roles=access.ADMINS)
    db.init_app(app)
    present.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    for module in (
        auth,
        home,
        versions,
        reports,
        board,
        customers,
        reconcile,
        changes,
        admin,
        sheets,
        notify,
        worklog,
        mine,
    ):
        app.register_blueprint(module.bp)
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("static", filename="favicon.svg")))
    app.after_request(_security_headers)
    return app


def _security_headers(response: Response) -> Response:
    """No framing, no sniffing, no scripts or styles from elsewhere; pages with data are not cached."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    )
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
