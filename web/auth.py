"""Signing in and out, who the user is, and what their roles let them open.

Accounts are the ones the CLI creates (``salesync user add``); passwords are checked with the same
Argon2id hashes. A disabled account is signed out on its next request: the user loader reads the
account on every request and refuses an inactive one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from schema.models import Account
from schema.roles import Role
from sync.domain.accounts import verify_password
from web import db
from web.i18n import tr

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


@dataclass(frozen=True)
class PortalUser:
    """The signed-in account as the portal sees it (Flask-Login's user)."""

    id: int
    username: str
    name: str
    roles: frozenset[str]
    region_id: int | None
    region_code: str | None
    projects: frozenset[str] | None = None  # every role limited to these projects; None: the region

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def has(self, *roles: Role) -> bool:
        return any(r.value in self.roles for r in roles)

    @property
    def role_titles(self) -> list[str]:
        return [Role(r).title_zh for r in sorted(self.roles)]

    @classmethod
    def of(cls, account: Account) -> PortalUser:
        return cls(
            id=account.id,
            username=account.username,
            name=account.display_name,
            roles=frozenset(account.role_keys),
            region_id=account.region_id,
            region_code=account.region.code if account.region else None,
            projects=project_limits(account),
        )


def project_limits(account: Account) -> frozenset[str] | None:
    """The projects an account is limited to when every role it holds names one; otherwise None."""
    codes = [r.project_code for r in account.roles]
    if not codes or any(code is None for code in codes):
        return None
    return frozenset(code for code in codes if code is not None)


def user() -> PortalUser:
    """The signed-in user (inside a ``login_required`` view)."""
    return cast(PortalUser, current_user._get_current_object())  # type: ignore[attr-defined]


def account() -> Account:
    """The signed-in user's account row, in this request's session."""
    found = db.session().get(Account, user().id)
    assert found is not None
    return found


def _load(user_id: str) -> PortalUser | None:
    if not user_id.isdigit():
        return None
    found = db.session().get(Account, int(user_id))
    if found is None or not found.active:
        return None
    return PortalUser.of(found)


F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed in and holding one of ``roles``; otherwise 403 (or the sign-in page)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not user().has(*roles):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


@dataclass
class Throttle:
    """Failed sign-ins per username: after ``limit`` failures within ``window`` seconds, that username
    is refused for the rest of the window, whatever the password (guessing a password is slow)."""

    limit: int = 5
    window: float = 15 * 60
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            self._failures[key] = [*self._recent(key, now), now]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def throttle() -> Throttle:
    found = current_app.extensions["salesync_throttle"]
    assert isinstance(found, Throttle)
    return found


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if throttle().blocked(username.casefold()):
            flash(
                tr(
                    "该账号登录失败次数过多，请 15 分钟后再试",
                    "Too many failed sign-ins for this account: try again in 15 minutes",
                ),
                "error",
            )
            return render_template("auth/login.html", username=username), 429
        found = db.session().scalar(select(Account).where(Account.username == username))
        if found is not None and found.active and verify_password(found, password):
            throttle().succeeded(username.casefold())
            login_user(PortalUser.of(found))
            return redirect(_safe_next(request.args.get("next")))
        throttle().failed(username.casefold())
        # the same words whether the account is unknown, disabled or the password wrong
        flash(
            tr("账号或密码不正确，或账号已停用", "Wrong username or password, or the account is disabled"),
            "error",
        )
        return render_template("auth/login.html", username=username), 401
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    flash(tr("已退出登录", "Signed out"), "info")
    return redirect(url_for("auth.login"))


def _localize(_message: str) -> str:
    return tr("请先登录", "Please sign in first")


def init_app(app: Flask) -> None:
    app.extensions["salesync_throttle"] = Throttle()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load)
    login_manager.login_message_category = "info"

    login_manager.localize_callback = _localize
    csrf.init_app(app)
    app.jinja_env.globals.update(Role=Role)
