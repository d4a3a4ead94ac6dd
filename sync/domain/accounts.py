"""Accounts for attribution: regions, users, roles; passwords hashed with Argon2id.

Separation of duties (who may make a signer, and whose password signs) is decided here too: only the
group admin grants a signing role (senior_manager, region_gm, executive), each grant is a work-log
entry (``grant-signing``) that every group admin sees in 我的任务; a password an admin sets is
one-time (``must_change_password``) and, for :func:`admin_password_hold` after it was set, the
account cannot sign (``sync.domain.signing``). Usernames are normalised and restricted (``sync.domain.names``),
passwords follow one policy (``sync.domain.passwords``).

Who may manage whom (docs/domain.md §1) is decided here, once, for every interface: a group admin
manages every region, creates regions and regional admins; a regional admin creates, disables and
resets the users of their own region only, and grants only the region's working roles.
:func:`create_user`, :func:`disable`, :func:`reset_password` and :func:`create_region` check the
acting account, then write and log attributed to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import Account, AccountRole, Project, Region, WorkLogEntry
from schema.roles import GROUP_ROLES, Capability, Role, holders
from sync.core.errors import (
    AccountExists,
    AccountRefused,
    InvalidRole,
    RegionExists,
    UnknownAccount,
    UnknownRegion,
)
from sync.domain.names import code_ok, normalise_username, username_ok
from sync.domain.passwords import weakness
from sync.domain.worklog import LogWriter

_hasher = PasswordHasher()
#: hashed once: an unknown username is checked against it, so it costs what a known one costs
_DUMMY_HASH = _hasher.hash("salesync: no such account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(account: Account | None, password: str) -> bool:
    """Whether ``password`` is ``account``'s. With None (no such account) the same Argon2 work is
    done against a dummy hash and False returned: timing does not tell unknown usernames apart."""
    try:
        return _hasher.verify(account.password_hash if account is not None else _DUMMY_HASH, password) and (
            account is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def add_region(session: Session, code: str, name: str) -> Region:
    if session.scalar(select(Region).where(Region.code == code)):
        raise RegionExists(code)
    region = Region(code=code, name=name)
    session.add(region)
    session.flush()
    return region


def parse_roles(keys: Iterable[str]) -> list[Role]:
    roles = []
    for key in keys:
        try:
            roles.append(Role(key))
        except ValueError:
            raise InvalidRole(f"{key}（可用：{', '.join(r.value for r in Role)}）") from None
    return roles


def add_user(
    session: Session,
    username: str,
    *,
    name: str,
    roles: Iterable[str],
    password: str,
    region: str | None = None,
    projects: Iterable[str] = (),
    created_by: Account | None = None,
) -> Account:
    """Create an account. Region-scoped roles need a region; project codes scope project roles.

    The username is stored normalised (``sync.domain.names``); one differing only in case or width from an
    existing account is that account. Without ``created_by`` (the server console) the password is
    the owner's; with it, it is the admin's one-time password (:func:`create_user`)."""
    username = normalise_username(username)
    if not username_ok(username):
        raise _refused("username-invalid")
    if session.scalar(select(Account).where(Account.username == username)):
        raise AccountExists(username)
    bad_code = next((c for c in [region or "", *projects] if c and not code_ok(c)), None)
    if bad_code is not None:
        raise _refused("code-invalid", value=bad_code)
    role_list = parse_roles(roles)
    if not role_list:
        raise InvalidRole("至少需要一个角色")
    region_row = None
    if region:
        region_row = session.scalar(select(Region).where(Region.code == region))
        if region_row is None:
            raise UnknownRegion(region)
    elif any(r not in GROUP_ROLES for r in role_list):
        raise UnknownRegion("（地区角色必须指定 --region）")
    account = Account(
        username=username,
        display_name=name,
        password_hash=hash_password(password),
        region=region_row,
        created_by_id=created_by.id if created_by else None,
        password_set_at=now(),
        password_set_by_id=created_by.id if created_by else None,
        admin_password_at=now() if created_by is not None else None,
        must_change_password=created_by is not None,
    )
    project_list: list[str | None] = [*projects] or [None]
    account.roles = [AccountRole(role=r.value, project_code=p) for r in role_list for p in project_list]
    session.add(account)
    session.flush()
    log = LogWriter(session, created_by.id if created_by else None)
    log.append(
        "account",
        username,
        "create",
        detail={
            "name": name,
            "roles": [r.value for r in role_list],
            "region": region,
            "projects": [p for p in project_list if p],
        },
    )
    signing = sorted(r.value for r in role_list if r in SIGNING_ROLES)
    if signing and created_by is not None:  # a notice for every group admin (我的任务): who made a signer
        log.append("account", username, GRANT_SIGNING, detail={"roles": signing, "region": region})
    return account


def get_account(session: Session, username: str) -> Account:
    account = session.scalar(select(Account).where(Account.username == normalise_username(username)))
    if account is None:
        raise UnknownAccount(username)
    return account


def disable_user(session: Session, username: str, *, by: Account | None = None) -> Account:
    """Disable at once, never delete: the account's history stays attributable."""
    account = get_account(session, username)
    if account.active:
        account.active = False
        account.disabled_at = now()
        end_sessions(account)
        LogWriter(session, by.id if by else None).append("account", username, "disable")
    return account


# -- who may manage whom (docs/domain.md §1) -------------------------------------------------------------

#: the roles whose holders sign master-data change sets (docs/domain.md §6)
SIGNING_ROLES = holders(Capability.SIGN_CHANGE_SETS)
#: roles only the group admin grants: the group-wide ones and the regional administrators
GROUP_GRANTED = GROUP_ROLES | {Role.REGION_ADMIN}
#: the work-log op of a signing role granted (the group admins' notice)
GRANT_SIGNING = "grant-signing"
#: how long an admin-set password keeps its account from signing, unless configured
#: (``admin_password_hold_hours``); also how long a creator may not sign for accounts they created
DEFAULT_HOLD = dt.timedelta(days=7)
#: refusals that are about permission rather than input
FORBIDDEN = frozenset(
    {
        "not-admin",
        "other-region",
        "role-not-grantable",
        "group-only",
        "own-account",
        "signing-role-group-only",
    }
)


def _refused(code: str, **params: str) -> AccountRefused:
    return AccountRefused(code, **params)


def _role_params(roles: Iterable[Role]) -> dict[str, str]:
    ordered = sorted(set(roles))
    return {"titles": "、".join(r.title_zh for r in ordered), "keys": ", ".join(r.value for r in ordered)}


def is_group_admin(actor: Account) -> bool:
    return actor.active and actor.holds(Role.GROUP_ADMIN)


def is_region_admin(actor: Account) -> bool:
    return actor.active and actor.holds(Role.REGION_ADMIN) and actor.region is not None


def grantable_roles(actor: Account) -> list[Role]:
    """The roles ``actor`` may give: all for the group admin; for a regional admin the region's
    working roles except the signing ones (those need the group admin)."""
    if is_group_admin(actor):
        return list(Role)
    if is_region_admin(actor):
        return [r for r in Role if r not in GROUP_GRANTED and r not in SIGNING_ROLES]
    return []


def check_may_manage(
    actor: Account, region_code: str | None, roles: Iterable[str], *, granting: bool = False
) -> None:
    """Refuse (:class:`AccountRefused`) unless ``actor`` may create or manage an account in
    ``region_code`` (None: group level) holding ``roles``. ``granting``: the roles are being given
    (a new account), and a signing role then needs the group admin."""
    wanted = parse_roles(roles)
    if is_group_admin(actor):
        return
    if not is_region_admin(actor):
        raise _refused("not-admin", account=actor.username)
    assert actor.region is not None
    if region_code != actor.region.code:
        raise _refused("other-region", region=actor.region.code)
    barred = [r for r in wanted if r in GROUP_GRANTED]
    if barred:
        raise _refused("role-not-grantable", **_role_params(barred))
    signers = [r for r in wanted if r in SIGNING_ROLES]
    if granting and signers:
        raise _refused("signing-role-group-only", **_role_params(signers))


def check_password(password: str, username: str = "") -> None:
    """The one password policy (``sync.domain.passwords``), as a refusal."""
    found = weakness(password, username)
    if found is not None:
        raise _refused(found[0], **found[1])


def end_sessions(account: Account) -> None:
    """End every portal session of ``account`` at once (the portal compares this version)."""
    account.session_version = (account.session_version or 0) + 1


def _set_password(account: Account, password: str, by: Account | None) -> None:
    """A new password: the owner's own, or an admin's one-time one; every session ends."""
    account.password_hash = hash_password(password)
    account.password_set_at = now()
    account.password_set_by_id = by.id if by is not None else None
    account.must_change_password = by is not None and by.id != account.id
    if account.must_change_password:
        account.admin_password_at = account.password_set_at  # kept when the owner changes it
    account.failed_logins, account.locked_until = 0, None
    end_sessions(account)


def admin_set_recently(
    account: Account, hold: dt.timedelta = DEFAULT_HOLD, at: dt.datetime | None = None
) -> bool:
    """Whether ``account``'s password is an admin's, or an admin set one within ``hold`` (even if
    the owner has changed it since: whoever knew the admin's password could have made the change),
    so that a signature would not prove the owner's hand."""
    if account.must_change_password:
        return True
    set_at = account.admin_password_at
    return set_at is not None and (at or now()) - set_at < hold


def change_own_password(session: Session, account: Account, current: str, new: str) -> Account:
    """The owner sets their own password (self-service, and the forced change after an admin set one)."""
    if not verify_password(account, current):
        raise _refused("password-wrong")
    if new == current:
        raise _refused("password-same")
    check_password(new, account.username)
    _set_password(account, new, account)
    LogWriter(session, account.id).append("account", account.username, "password-own")
    return account


def unlock(session: Session, actor: Account, username: str) -> Account:
    """An admin lifts the sign-in lock that failed passwords put on ``username``."""
    target = _managed(session, actor, username)
    target.failed_logins, target.locked_until = 0, None
    LogWriter(session, actor.id).append("account", target.username, "unlock")
    return target


def signing_grants(session: Session, since: dt.datetime) -> list[tuple[str, str, dt.datetime, int | None]]:
    """Signing roles granted since ``since``: (username, roles, when, granted by account id), newest
    first — the group admins' notice in 我的任务."""
    rows = session.execute(
        select(WorkLogEntry.key, WorkLogEntry.changes, WorkLogEntry.at, WorkLogEntry.account_id)
        .where(WorkLogEntry.entity == "account", WorkLogEntry.op == GRANT_SIGNING, WorkLogEntry.at >= since)
        .order_by(WorkLogEntry.id.desc())
    )
    return [(key, changes, at, by) for key, changes, at, by in rows]


def _region_code(account: Account) -> str | None:
    return account.region.code if account.region else None


def _check_projects(session: Session, region: str | None, projects: list[str]) -> None:
    """Project codes may name projects not loaded yet, never a project of another region."""
    if not projects:
        return
    found = session.execute(select(Project.code, Project.region_code).where(Project.code.in_(projects)))
    for code, other in found:
        if other != region:
            raise _refused("project-other-region", project=code, other=other, region=region or "—")


def create_user(
    session: Session,
    actor: Account,
    username: str,
    *,
    name: str,
    roles: Iterable[str],
    password: str,
    region: str | None = None,
    projects: Iterable[str] = (),
) -> Account:
    """Create an account as ``actor``, within what ``actor`` may grant."""
    role_list = parse_roles(roles)
    check_may_manage(actor, region, [r.value for r in role_list], granting=True)
    if not role_list:
        raise _refused("no-roles")
    username = normalise_username(username)
    if not username_ok(username):
        raise _refused("username-invalid")
    if not name.strip():
        raise _refused("name-required", what="姓名", what_en="A name")
    regional = [r for r in role_list if r not in GROUP_ROLES]
    if not region and regional:
        raise _refused("region-required", **_role_params(regional))
    check_password(password, username)
    project_list = [p for p in projects if p]
    _check_projects(session, region, project_list)
    return add_user(
        session,
        username,
        name=name.strip(),
        roles=[r.value for r in role_list],
        password=password,
        region=region,
        projects=project_list,
        created_by=actor,
    )


def _managed(session: Session, actor: Account, username: str) -> Account:
    target = get_account(session, username)
    check_may_manage(actor, _region_code(target), target.role_keys)
    return target


def disable(session: Session, actor: Account, username: str) -> Account:
    """Disable ``username`` as ``actor`` (never one's own account)."""
    if username == actor.username:
        raise _refused("own-account")
    _managed(session, actor, username)
    return disable_user(session, username, by=actor)


def reset_password(session: Session, actor: Account, username: str, password: str) -> Account:
    """Set a new password for ``username`` (an admin's own, or an account ``actor`` manages)."""
    own = username == actor.username and (is_group_admin(actor) or is_region_admin(actor))
    target = get_account(session, username) if own else _managed(session, actor, username)
    if not target.active:
        raise _refused("disabled", account=username)
    check_password(password, target.username)
    _set_password(target, password, actor)
    LogWriter(session, actor.id).append("account", target.username, "password")
    return target


def create_region(session: Session, actor: Account, code: str, name: str) -> Region:
    """A new 地区公司, by the group admin."""
    if not is_group_admin(actor):
        raise _refused("group-only")
    if not code.strip() or not name.strip():
        raise _refused("name-required", what="地区编码和名称", what_en="A region code and name")
    if not code_ok(code.strip()):
        raise _refused("code-invalid", value=code.strip())
    region = add_region(session, code.strip(), name.strip())
    LogWriter(session, actor.id).append("region", region.code, "create", detail={"name": region.name})
    return region


def project_limits(account: Account) -> frozenset[str] | None:
    """The projects an account is limited to when every role it holds names one; otherwise None
    (the portal's scope and 我的任务 both follow it)."""
    codes = [r.project_code for r in account.roles]
    if not codes or any(code is None for code in codes):
        return None
    return frozenset(code for code in codes if code is not None)


def in_scope(actor: Account, target: Account) -> bool:
    """Whether ``actor`` administers (sees) ``target``: see :func:`accounts_in_scope`."""
    return is_group_admin(actor) or (is_region_admin(actor) and target.region_id == actor.region_id)


def accounts_in_scope(session: Session, actor: Account) -> list[Account]:
    """The accounts ``actor`` administers: every one for the group admin, their region's for a regional admin."""
    stmt = select(Account).order_by(Account.region_id.is_not(None), Account.region_id, Account.username)
    if is_group_admin(actor):
        return list(session.scalars(stmt))
    if is_region_admin(actor):
        return list(session.scalars(stmt.where(Account.region_id == actor.region_id)))
    return []


def regions_in_scope(session: Session, actor: Account) -> list[Region]:
    if is_group_admin(actor):
        return list(session.scalars(select(Region).order_by(Region.code)))
    if is_region_admin(actor) and actor.region is not None:
        return [actor.region]
    return []
