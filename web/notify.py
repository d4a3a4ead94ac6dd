"""通知设置 (Notifications): each person sets their own channels, quiet hours and opt-outs; an admin
does it for the accounts in their scope and reads the delivery log.

Everything is ``sync.notify``: channels (an e-mail address, a robot configured by name, or a
personal webhook kept encrypted), preferences and the log of every delivery attempt. The page says
a message went out only where a delivery was recorded as sent.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from schema.models import Account
from sync.core.errors import SalesyncError
from sync.domain import accounts
from sync.notify import channels, prefs, records
from sync.notify.sender import log_entries
from sync.outbox.settings import NotifySettings
from sync.outbox.words import KIND_TITLES, OPTIONAL
from web import db
from web.access import ADMINS, EVERYONE
from web.auth import account, roles_required, user

bp = Blueprint("notify", __name__, url_prefix="/notify")


def _target(username: str) -> Account:
    """The account whose settings the signed-in user may change: their own, or one in an admin's scope."""
    session = db.session()
    try:
        target = accounts.get_account(session, username)
    except SalesyncError:
        abort(404)
    actor = account()
    if target.id != actor.id and not (user().has(*ADMINS) and accounts.in_scope(actor, target)):
        abort(403)
    return target


@bp.app_template_global("notifications_of")
def notifications_of(version_id: int) -> list[records.Told]:
    """The messages a workbook version caused and whether each went out (同步记录's version page)."""
    return records.about_version(db.session(), version_id)


@bp.route("/")
@roles_required(*EVERYONE)
def index() -> ResponseReturnValue:
    return redirect(url_for("notify.settings", username=user().username))


@bp.route("/u/<username>")
@roles_required(*EVERYONE)
def settings(username: str) -> ResponseReturnValue:
    target = _target(username)
    session = db.session()
    return render_template(
        "notify/settings.html",
        target=target,
        channels=channels.channels_of(session, target.id),
        setting=prefs.setting_of(session, target.id),
        robots=sorted(NotifySettings.of(db.service().config).robots),
        optional=OPTIONAL,
        kind_titles=KIND_TITLES,
        recent=log_entries(session, username=target.username, limit=20),
    )


def _done(username: str, words: str) -> ResponseReturnValue:
    flash(words, "success")
    return redirect(url_for("notify.settings", username=username))


def _refused(username: str, exc: SalesyncError) -> ResponseReturnValue:
    flash(str(exc), "error")
    return redirect(url_for("notify.settings", username=username))


@bp.route("/u/<username>/channels", methods=["POST"])
@roles_required(*EVERYONE)
def add_channel(username: str) -> ResponseReturnValue:
    target = _target(username)
    kind = request.form.get("kind", "")
    try:
        with db.transaction() as s:
            if kind == "email":
                made = channels.add_email(s, target.username, request.form.get("address", ""))
            elif kind == "robot":
                made = channels.add_robot(
                    s,
                    db.service().config,
                    target.username,
                    name=request.form.get("robot") or None,
                    url=request.form.get("webhook") or None,
                )
            else:
                abort(400)
            words = channels.describe(made)
    except SalesyncError as exc:
        return _refused(username, exc)
    return _done(username, f"✓ {words}")


@bp.route("/u/<username>/channels/<int:channel_id>/remove", methods=["POST"])
@roles_required(*EVERYONE)
def remove_channel(username: str, channel_id: int) -> ResponseReturnValue:
    target = _target(username)
    try:
        with db.transaction() as s:
            channels.remove(s, target.id, channel_id)
    except SalesyncError as exc:
        return _refused(username, exc)
    return _done(username, "✓")


@bp.route("/u/<username>/preferences", methods=["POST"])
@roles_required(*EVERYONE)
def preferences(username: str) -> ResponseReturnValue:
    target = _target(username)
    try:
        with db.transaction() as s:
            prefs.save(
                s,
                target.id,
                quiet_start=request.form.get("quiet_start", ""),
                quiet_end=request.form.get("quiet_end", ""),
                muted=[k for k in OPTIONAL if request.form.get(f"mute-{k}")],
            )
    except SalesyncError as exc:
        return _refused(username, exc)
    return _done(username, "✓")


@bp.route("/log")
@roles_required(*ADMINS)
def log() -> ResponseReturnValue:
    """Every delivery attempt to the accounts in the admin's scope, newest first."""
    session = db.session()
    actor = account()
    entries = [d for d in log_entries(session, limit=500) if accounts.in_scope(actor, d.account)]
    return render_template("notify/log.html", entries=entries[:200], kind_titles=KIND_TITLES)
