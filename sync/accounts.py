"""Accounts for attribution: regions, users, roles; passwords hashed with Argon2id."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import Account, AccountRole, Region
from schema.roles import GROUP_ROLES, Role
from sync.errors import AccountExists, InvalidRole, RegionExists, UnknownAccount, UnknownRegion
from sync.worklog import LogWriter

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
