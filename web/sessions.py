"""The life of a portal session: idle timeout, cookie flags, proxies, and one's own password.

- **Idle timeout.** The signed cookie carries when the session was last used; a request after
  ``session_idle_minutes`` of silence finds it signed out (an old cookie replayed later is as dead).
- **Cookie.** ``HttpOnly`` and ``SameSite=Lax`` always; ``Secure`` when ``session_cookie_secure`` is
  set — set it whenever the portal is reached over HTTPS (directly or through a proxy).
- **Reverse proxy.** With ``proxy_count = N`` the portal trusts the last N ``X-Forwarded-For`` /
  ``-Proto`` / ``-Host`` hops (Werkzeug's ProxyFix), so the per-address sign-in throttle sees the
  client's address and redirects keep https. Leave it 0 when nothing sits in front: otherwise
  anyone could forge an address.
- **Own password.** ``/account/password``: anyone changes their own password (the same policy as
  everywhere). An account whose password an admin set must do it before any other page opens.
"""

from __future__ import annotations

import datetime as dt
import time

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.middleware.proxy_fix import ProxyFix

from schema.models import Account
from sync.core.config import Config
from sync.core.errors import SalesyncError
from sync.domain import accounts
from web import db
from web.auth import PortalUser, begin_session, end_session, user
from web.i18n import lang, tr

bp = Blueprint("sessions", __name__, url_prefix="/account")

#: pages open to a session that must change its password first
OPEN_ENDPOINTS = frozenset({"sessions.password", "auth.logout", "auth.login", "static", "favicon"})


def cookie_settings(config: Config) -> dict[str, object]:
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": config.session_cookie_secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": config.session_cookie_secure,
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(minutes=config.session_idle_minutes),
    }


def _idle_and_forced() -> ResponseReturnValue | None:
    if "_user_id" in session:
        idle = db.service().config.session_idle_minutes * 60
        seen = session.get("seen")
        now = int(time.time())
        if not isinstance(seen, int) or now - seen > idle:
            end_session()
            flash(
                tr("长时间未操作，已自动退出，请重新登录", "Signed out after a period of inactivity"), "info"
            )
            return None
        if now - seen >= 30:  # a fresh cookie at most every 30 s, not on every request
            session["seen"] = now
    if (
        current_user.is_authenticated
        and user().must_change_password
        and request.endpoint not in OPEN_ENDPOINTS
    ):
        flash(
            tr(
                "您的密码由管理员设置，请先设置自己的新密码",
                "An admin set your password: choose your own before going on",
            ),
            "info",
        )
        return redirect(url_for("sessions.password"))
    return None


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("sessions/password.html")
    current = request.form.get("current", "")
    new = request.form.get("password", "")
    if new != request.form.get("password2", ""):
        flash(tr("两次输入的密码不一致", "The two passwords differ"), "error")
        return render_template("sessions/password.html"), 400
    try:
        with db.transaction() as s:
            found = s.get(Account, user().id)
            assert found is not None
            accounts.change_own_password(s, found, current, new)
            renewed = PortalUser.of(found)
    except SalesyncError as exc:
        flash(exc.message(lang()) if isinstance(exc, accounts.AccountRefused) else str(exc), "error")
        return render_template("sessions/password.html"), 400
    begin_session(renewed)  # this session goes on; every other one of the account has ended
    flash(tr("密码已修改，其他登录已全部退出", "Password changed; every other session has ended"), "success")
    return redirect(url_for("home.index"))


def init_app(app: Flask, config: Config) -> None:
    app.config.update(cookie_settings(config))
    if config.proxy_count > 0:
        n = config.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.before_request(_idle_and_forced)
    app.register_blueprint(bp)
