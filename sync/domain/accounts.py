"""Accounts for attribution: regions, users, roles; passwords hashed with Argon2id.

Who may manage whom (docs/domain.md §1) is decided here, once, for every interface: a group admin
manages every region, creates regions and regional admins; a regional admin creates, disables and
resets the users of their own region only, and grants only the region's working roles.
:func:`create_user`, :func:`disable`, :func:`reset_password` and :func:`create_region` check the
acting account, then write and log attributed to it.
"""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import Account, AccountRole, Project, Region
from schema.roles import GROUP_ROLES, Role
from sync.core.errors import (
    AccountExists,
    AccountRefused,
    InvalidRole,
    RegionExists,
    UnknownAccount,
    UnknownRegion,
)
from sync.domain.worklog import LogWriter

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(account: Account, password: str) -> bool:
    try:
        return _hasher.verify(account.password_hash, password)
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
    """Create an account. Region-scoped roles need a region; project codes scope project roles."""
    if session.scalar(select(Account).where(Account.username == username)):
        raise AccountExists(username)
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
    )
    project_list: list[str | None] = [*projects] or [None]
    account.roles = [AccountRole(role=r.value, project_code=p) for r in role_list for p in project_list]
    session.add(account)
    session.flush()
    LogWriter(session, created_by.id if created_by else None).append(
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
    return account


def get_account(session: Session, username: str) -> Account:
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise UnknownAccount(username)
    return account


def disable_user(session: Session, username: str, *, by: Account | None = None) -> Account:
    """Disable at once, never delete: the account's history stays attributable."""
    account = get_account(session, username)
    if account.active:
        account.active = False
        account.disabled_at = now()
        LogWriter(session, by.id if by else None).append("account", username, "disable")
    return account


# -- who may manage whom (docs/domain.md §1) -------------------------------------------------------------

MIN_PASSWORD = 8
#: roles only the group admin grants: the group-wide ones and the regional administrators
GROUP_GRANTED = GROUP_ROLES | {Role.REGION_ADMIN}
#: refusals that are about permission rather than input
FORBIDDEN = frozenset({"not-admin", "other-region", "role-not-grantable", "group-only", "own-account"})


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
    """The roles ``actor`` may give: all for the group admin, the region's working roles for a regional admin."""
    if is_group_admin(actor):
        return list(Role)
    if is_region_admin(actor):
        return [r for r in Role if r not in GROUP_GRANTED]
    return []


def check_may_manage(actor: Account, region_code: str | None, roles: Iterable[str]) -> None:
    """Refuse (:class:`AccountRefused`) unless ``actor`` may create or manage an account in
    ``region_code`` (None: group level) holding ``roles``."""
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


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise _refused("password-short", minimum=str(MIN_PASSWORD))


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
    check_may_manage(actor, region, [r.value for r in role_list])
    if not role_list:
        raise _refused("no-roles")
    if not 0 < len(username) <= 64 or any(c.isspace() for c in username):
        raise _refused("username-invalid")
    if not name.strip():
        raise _refused("name-required", what="姓名", what_en="A name")
    regional = [r for r in role_list if r not in GROUP_ROLES]
    if not region and regional:
        raise _refused("region-required", **_role_params(regional))
    check_password(password)
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
    check_password(password)
    target.password_hash = hash_password(password)
    LogWriter(session, actor.id).append("account", username, "password")
    return target


def create_region(session: Session, actor: Account, code: str, name: str) -> Region:
    """A new 地区公司, by the group admin."""
    if not is_group_admin(actor):
        raise _refused("group-only")
    if not code.strip() or not name.strip():
        raise _refused("name-required", what="地区编码和名称", what_en="A region code and name")
    region = add_region(session, code.strip(), name.strip())
    LogWriter(session, actor.id).append("region", region.code, "create", detail={"name": region.name})
    return region


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
