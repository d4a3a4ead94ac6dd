"""The salesync portal (Flask): my tasks, reports and the 楼盘表 board, dual-track reconciliation
review, change-set signing and account administration, in the browser.

``create_app(service)`` builds the app around a :class:`sync.app.Salesync` service object; nothing
runs at import. ``web.server`` serves it with waitress (``salesync serve``, and ``salesync up``
beside the watcher). The portal only presents and calls the service layer (``sync.tasks``,
``sync.reports``, ``sync.reconcile``, ``sync.signing``, ``sync.accounts``); it holds no rules of its
own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from sync.app import Salesync


def create_app(service: Salesync, overrides: dict[str, Any] | None = None) -> Flask:
    from web import access, admin, auth, board, changes, db, errors, home, i18n, reconcile, reports
    from web.secret import portal_secret

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=portal_secret(service.config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,  # an uploaded manual report
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
        SALESYNC_LANG=service.config.lang,
    )
    if overrides:
        app.config.update(overrides)
    app.extensions["salesync"] = service
    app.jinja_env.globals.update(nav_items=access.nav_items)
    db.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    for module in (auth, home, reports, board, reconcile, changes, admin):
        app.register_blueprint(module.bp)
    return app
