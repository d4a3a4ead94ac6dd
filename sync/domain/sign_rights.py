"""Who may sign a change set, and the change sets waiting for one account's signature.

The one permission check of signing (:func:`refusal`) and the query 我的任务 asks ("change sets
this account may sign"), apart from :mod:`sync.domain.signing` because signing also reviews and
applies change sets — the 项目资料 kind's spec, its conflict check and the bulk apply, which load
pandas, pandera and Arrow. The task list and the recipients of a notice need only the rights.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import Account, ChangeItem, ChangeSet, Project
from schema.models.audit import PENDING
from schema.roles import GROUP_ROLES, Capability, Role
from sync.domain.accounts import DEFAULT_HOLD, SIGNING_ROLES, admin_set_recently


def regions(session: Session, change_set: ChangeSet) -> set[str]:
    """The regions of the change set's projects (as they are, or as the change set adds them)."""
    found = set(session.scalars(select(Project.region_code).where(Project.code.in_(change_set.projects))))
    added = select(ChangeItem.new).where(
        ChangeItem.change_set_id == change_set.id, ChangeItem.entity == "project", ChangeItem.op == "add"
    )  # a few rows, asked of the database: a big load's items are not walked once per signer
    texts = (
        session.scalars(added)
        if change_set.id is not None
        else (i.new for i in change_set.items if i.entity == "project" and i.op == "add")
    )
    for text in texts:
        if text:
            found.add(json.loads(text).get("地区编码"))
    return {r for r in found if r}


def signing_roles(account: Account, change_set: ChangeSet, region_codes: set[str]) -> set[Role]:
    """The roles in which ``account`` may sign this change set (empty: it may not)."""
    in_region = account.region is not None and account.region.code in region_codes
    roles = set()
    for held in account.roles:
        if held.role not in SIGNING_ROLES:
            continue
        if held.project_code is not None and held.project_code not in change_set.projects:
            continue
        role = Role(held.role)
        if in_region or (role in GROUP_ROLES and account.region is None):
            roles.add(role)
    return roles


def hold(session: Session) -> dt.timedelta:
    """How long an admin-set password, or an account's creation, keeps someone from signing
    (``admin_password_hold_hours`` in the configuration, set on the session by ``sync.app``)."""
    found = session.info.get("sign_hold")
    return found if isinstance(found, dt.timedelta) else DEFAULT_HOLD


def duty_refusal(session: Session, change_set: ChangeSet, account: Account) -> str | None:
    """Separation of duties: a signature must be the owner's hand and not the submitter's.

    - an account whose password an admin set (until the owner changes it, and for the hold
      period after) cannot sign: the admin knew the password;
    - an admin cannot sign a change submitted by an account they created within the hold period;
    - an account cannot sign a change submitted by the account that created it, or by an account
      the same admin created, within the hold period: one person administering both the submitter
      and the signer is one person, not two.
    """
    period, at = hold(session), now()
    if admin_set_recently(account, period, at):
        return "sign-password-by-admin"
    submitter = change_set.version.account

    def recent(created: Account) -> bool:
        return created.created_at is not None and at - created.created_at < period

    if submitter.created_by_id == account.id and recent(submitter):
        return "sign-creator-of-submitter"
    creator = account.created_by_id
    if creator is not None and creator in (submitter.id, submitter.created_by_id) and recent(account):
        return "sign-same-administrator"
    return None


def refusal(session: Session, change_set: ChangeSet, account: Account) -> str | None:
    """Why ``account`` may not sign ``change_set`` (a message code), or None. The one permission
    check of signing: the CLI, the portal and the counting of signatures all ask it."""
    if not account.active:
        return "sign-inactive"
    if account.id == change_set.version.account_id:
        return "sign-is-submitter"
    duty = duty_refusal(session, change_set, account)
    if duty is not None:
        return duty
    if not account.can(Capability.SIGN_CHANGE_SETS):
        return "sign-not-authorised"
    if not signing_roles(account, change_set, regions(session, change_set)):
        return "sign-wrong-region"
    return None


def awaiting(session: Session, account: Account) -> list[ChangeSet]:
    """The pending change sets ``account`` may sign and has not signed yet, newest first."""
    stmt = select(ChangeSet).where(ChangeSet.status == PENDING).order_by(ChangeSet.id.desc())
    return [
        cs
        for cs in session.scalars(stmt)
        if refusal(session, cs, account) is None
        and not any(s.account_id == account.id for s in cs.signatures)
    ]
