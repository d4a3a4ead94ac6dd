"""Signing in and out, who the user is, and what their roles let them open.

Accounts are the ones the CLI creates (``salesync user add``); passwords are checked with the same
Argon2id hashes (``sync.domain.signin``). Sessions are ended on the server: the cookie names the account
and its *session version*, and the user loader reads the account on every request and refuses an
inactive one or one whose version has moved on — which sign-out, a password change or reset and
disabling do (every session of the account at once). ``web.sessions`` adds the idle timeout, the
cookie flags, the forced password change and the throttles.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from schema.models import Account
from schema.roles import Role
from sync.domain.accounts import end_sessions, project_limits
from sync.domain.names import USERNAME_MAX, normalise_username
from sync.domain.passwords import MAX_LENGTH
from sync.domain.signin import Verdict, authenticate
from web import db
from web.i18n import tr

bp = Blueprint("auth", __name__)
#: failed sign-ins from one address within the lock window before it must wait (a whole office may
#: share one address behind NAT, so this is far above one person's mistakes)
IP_FAILURES = 100
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
    session_version: int = 0  # the account's, when this session began (sync.domain.accounts.end_sessions)
    must_change_password: bool = False  # an admin set the password: change it before anything else

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

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
            session_version=account.session_version or 0,
            must_change_password=bool(account.must_change_password),
        )


def user() -> PortalUser:
    """The signed-in user (inside a ``login_required`` view)."""
    return cast(PortalUser, current_user._get_current_object())  # type: ignore[attr-defined]


def account() -> Account:
    """The signed-in user's account row, in this request's session."""
    found = db.session().get(Account, user().id)
    assert found is not None
    return found


def _load(user_id: str) -> PortalUser | None:
    """The session's user while its account is active and its session version current."""
    account_id, _, version = user_id.partition(":")
    if not account_id.isdigit() or not version.isdigit() or len(user_id) > 40:
        return None
    found = db.session().get(Account, int(account_id))
    if found is None or not found.active or (found.session_version or 0) != int(version):
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
    """Failures per key (an IP address, an unknown username, a session's signatures): after ``limit``
    failures within ``window`` seconds the key is refused for the rest of the window.

    Bounded: at most ``max_keys`` keys (the least recently failed are forgotten first) and at most
    ``limit`` times each, keys cut to ``KEY_CHARS`` — whatever is tried, it holds a few megabytes."""

    limit: int = 5
    window: float = 15 * 60
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 10_000
    _failures: OrderedDict[str, list[float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    KEY_CHARS = 128

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key[: self.KEY_CHARS], []) if now - t < self.window]
        if kept:
            self._failures[key[: self.KEY_CHARS]] = kept
        else:
            self._failures.pop(key[: self.KEY_CHARS], None)
        return kept

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            short = key[: self.KEY_CHARS]
            self._failures[short] = [*self._recent(short, now), now][-self.limit :]
            self._failures.move_to_end(short)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key[: self.KEY_CHARS], None)


def throttle(name: str = "unknown") -> Throttle:
    """One of the portal's throttles: ``ip`` (failed sign-ins per address), ``unknown`` (per unknown
    username, so that it locks like a real one) and ``sign`` (wrong passwords per signed-in session)."""
    found = current_app.extensions["salesync_throttles"][name]
    assert isinstance(found, Throttle)
    return found


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("home.index")


def begin_session(signed_in: PortalUser) -> None:
    """A fresh session for ``signed_in``: nothing carried over from before (no fixation), a random
    id for the signing throttle, and the clock of the idle timeout started (``web.sessions``)."""
    session.clear()
    login_user(signed_in)
    session.permanent = True  # the cookie expires with the idle timeout, too
    session["sid"] = secrets.token_hex(16)
    session["seen"] = int(time.time())


def end_session() -> None:
    logout_user()
    session.clear()


def _too_many(username: str, status: int = 429) -> ResponseReturnValue:
    minutes = int(db.service().config.login_lock_minutes)
    flash(
        tr(
            f"该账号登录失败次数过多，请 {minutes} 分钟后再试（或请管理员解锁）",
            f"Too many failed sign-ins for this account: try again in {minutes} minutes (or ask an admin to unlock it)",
        ),
        "error",
    )
    return render_template("auth/login.html", username=username[:USERNAME_MAX]), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "POST":
        username = request.form.get("username", "")[: USERNAME_MAX * 4]
        password = request.form.get("password", "")[:MAX_LENGTH]
        address = request.remote_addr or "-"
        if throttle("ip").blocked(address):
            flash(
                tr(
                    "此地址登录失败次数过多，请稍后再试",
                    "Too many failed sign-ins from this address: try later",
                ),
                "error",
            )
            return render_template("auth/login.html", username=username[:USERNAME_MAX]), 429
        config = db.service().config
        name = normalise_username(username)
        with db.transaction() as s:
            result = authenticate(
                s,
                username,
                password,
                limit=config.login_failures,
                lock=dt.timedelta(minutes=config.login_lock_minutes),
            )
            if result.verdict is Verdict.OK:
                assert result.account is not None
                signed_in = PortalUser.of(result.account)
        if result.verdict is Verdict.OK:
            begin_session(signed_in)  # (the address's count stays: a valid account must not wipe it)
            if signed_in.must_change_password:
                flash(
                    tr(
                        "您的密码由管理员设置，请先设置自己的新密码",
                        "An admin set your password: choose your own before going on",
                    ),
                    "info",
                )
                return redirect(url_for("sessions.password"))
            return redirect(_safe_next(request.args.get("next")))
        throttle("ip").failed(address)
        if not result.known:  # an unknown username locks like a real one: no way to tell them apart
            if len(name) <= USERNAME_MAX:
                throttle("unknown").failed(name)
            if throttle("unknown").blocked(name):
                return _too_many(username)
        elif result.verdict is Verdict.LOCKED:
            return _too_many(username)
        # the same words whether the account is unknown, disabled or the password wrong
        flash(
            tr("账号或密码不正确，或账号已停用", "Wrong username or password, or the account is disabled"),
            "error",
        )
        return render_template("auth/login.html", username=username[:USERNAME_MAX]), 401
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Sign out everywhere: the account's session version moves on, so every cookie it had is void."""
    with db.transaction() as s:
        found = s.get(Account, user().id)
        if found is not None:
            end_sessions(found)
    end_session()
    flash(tr("已退出登录", "Signed out"), "info")
    return redirect(url_for("auth.login"))


def _localize(_message: str) -> str:
    return tr("请先登录", "Please sign in first")


def init_app(app: Flask) -> None:
    config = app.extensions["salesync"].config
    window = config.login_lock_minutes * 60
    app.extensions["salesync_throttles"] = {
        "ip": Throttle(limit=IP_FAILURES, window=window),
        "unknown": Throttle(limit=config.login_failures, window=window),
        "sign": Throttle(limit=config.login_failures, window=window),
    }
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load)
    login_manager.login_message_category = "info"

    login_manager.localize_callback = _localize
    csrf.init_app(app)
    app.jinja_env.globals.update(Role=Role)
