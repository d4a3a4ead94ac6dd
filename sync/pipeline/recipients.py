"""Who is told: the holders of a role in a project's region (or of that project), the signers a
change set waits for, the admins."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schema.models import Account, AccountRole, ChangeSet, Project, Region
from schema.roles import Role
from sync.domain import sign_rights


def holders(
    session: Session, role: Role, *, region_id: int | None = None, project: str | None = None
) -> list[Account]:
    """Active accounts holding ``role`` in the region (a project-limited role: only for its project)."""
    stmt = (
        select(Account)
        .join(AccountRole, AccountRole.account_id == Account.id)
        .where(Account.active, AccountRole.role == role.value)
        .order_by(Account.id)
        .distinct()
    )
    if region_id is not None:
        stmt = stmt.where(Account.region_id == region_id)
    if project is not None:
        stmt = stmt.where(or_(AccountRole.project_code.is_(None), AccountRole.project_code == project))
    return list(session.scalars(stmt))


def project_region(session: Session, project: str) -> int | None:
    return session.scalar(
        select(Region.id).join(Project, Project.region_code == Region.code).where(Project.code == project)
    )


def in_project(session: Session, role: Role, project: str) -> list[Account]:
    region = project_region(session, project)
    return holders(session, role, region_id=region, project=project) if region is not None else []


def signers(session: Session, change_set: ChangeSet) -> list[Account]:
    """Every active account that may sign ``change_set`` now and has not signed it."""
    signed = {s.account_id for s in change_set.signatures}
    out = []
    for role in sign_rights.SIGNING_ROLES:
        for account in holders(session, role):
            if account.id in signed or account in out:
                continue
            if sign_rights.refusal(session, change_set, account) is None:
                out.append(account)
    return sorted(out, key=lambda a: a.id)


def admins(session: Session, region_id: int | None = None) -> list[Account]:
    """The group admins and, for a fault in a region, its regional admins (all of them when unknown)."""
    found = holders(session, Role.GROUP_ADMIN) + holders(session, Role.REGION_ADMIN, region_id=region_id)
    seen: dict[int, Account] = {}
    for account in found:
        seen.setdefault(account.id, account)
    return list(seen.values())
