"""Checking a sign-in: one answer whatever the reason, the same work whatever the username, and a
lock on guessing that its owner can always get out of.

:func:`authenticate` is what the portal calls. It always runs one Argon2 verification (against a
dummy hash for an unknown username), so an unknown username costs what a known one costs. Wrong
passwords are counted on the account row — persisted, one row per account, so the storage is
bounded by the accounts that exist, whatever names are tried — and after ``limit`` in a row the
account is locked for ``lock``. While locked, even the right password is refused (a guesser learns
nothing); once the lock has passed, the owner's right password signs in and clears the count, and an
admin can clear it at once (``sync.domain.accounts.unlock``). A lock never touches sessions that are
already signed in, and signing a change set re-enters the password without consulting it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import Account
from sync.domain.accounts import verify_password
from sync.domain.names import USERNAME_MAX, normalise_username, username_ok


class Verdict(Enum):
    OK = "ok"
    WRONG = "wrong"  # unknown username, disabled account or wrong password: one answer
    LOCKED = "locked"  # too many wrong passwords in a row: try again later


@dataclass(frozen=True)
class SignIn:
    verdict: Verdict
    account: Account | None = None
    known: bool = False  # whether the username names an account (never shown to the user)


def authenticate(
    session: Session, username: str, password: str, *, limit: int = 5, lock: dt.timedelta | None = None
) -> SignIn:
    """Check ``username`` and ``password`` inside the caller's transaction; count a failure."""
    lock = lock if lock is not None else dt.timedelta(minutes=15)
    name = normalise_username(username)
    account = None
    if username_ok(name) and len(name) <= USERNAME_MAX:
        account = session.scalar(select(Account).where(Account.username == name).with_for_update())
    right = verify_password(account, password)  # the same Argon2 work for an unknown username
    if account is None:
        return SignIn(Verdict.WRONG)
    at = now()
    if account.locked_until is not None and account.locked_until > at:
        return SignIn(Verdict.LOCKED, known=True)
    if right and account.active:
        account.failed_logins, account.locked_until = 0, None
        return SignIn(Verdict.OK, account, known=True)
    account.failed_logins = (account.failed_logins or 0) + 1
    if account.failed_logins >= limit:
        account.locked_until = at + lock
        return SignIn(Verdict.LOCKED, known=True)
    return SignIn(Verdict.WRONG, known=True)
