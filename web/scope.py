"""Which regions and projects the signed-in user may see (docs/domain.md §1), for every page alike.

Group-wide roles (集团管理员, 集团营销管理部) see every region. Everyone else sees their own region;
an account whose every role is limited to named projects (``salesync user add --project``) sees
only those projects. Whatever a user may not see does not exist for them: a page asked for it
answers 404, so another region's project or record is never revealed.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Project, Region
from web.access import GROUP_WIDE
from web.auth import PortalUser, user


def sees_all(viewer: PortalUser) -> bool:
    return viewer.has(*GROUP_WIDE)


def sees_region(viewer: PortalUser, region_code: str | None) -> bool:
    return sees_all(viewer) or (region_code is not None and region_code == viewer.region_code)


def sees_project(viewer: PortalUser, project: Project) -> bool:
    if sees_all(viewer):
        return True
    if project.region_code != viewer.region_code:
        return False
    return viewer.projects is None or project.code in viewer.projects


def visible_regions(session: Session, viewer: PortalUser | None = None) -> list[Region]:
    """Regions whose whole data the user may see (a project-limited account sees none whole)."""
    who = viewer or user()
    if not sees_all(who) and who.projects is not None:
        return []
    return [r for r in session.scalars(select(Region).order_by(Region.code)) if sees_region(who, r.code)]


def visible_projects(session: Session, viewer: PortalUser | None = None) -> list[Project]:
    who = viewer or user()
    stmt = select(Project).where(Project.removed_at.is_(None)).order_by(Project.region_code, Project.code)
    if not sees_all(who):
        if who.region_code is None:
            return []
        stmt = stmt.where(Project.region_code == who.region_code)
    return [p for p in session.scalars(stmt) if sees_project(who, p)]


def may_see_project(session: Session, code: str, viewer: PortalUser | None = None) -> bool:
    found = session.scalar(select(Project).where(Project.code == code, Project.removed_at.is_(None)))
    return found is not None and sees_project(viewer or user(), found)


def project_in_scope(session: Session, code: str) -> Project:
    """The project, if the user may see it; otherwise 404."""
    found = session.scalar(select(Project).where(Project.code == code, Project.removed_at.is_(None)))
    if found is None or not sees_project(user(), found):
        abort(404)
    return found


def region_in_scope(session: Session, code: str) -> Region:
    """The region, if the user may see all of it; otherwise 404."""
    found = session.scalar(select(Region).where(Region.code == code))
    if found is None or found not in visible_regions(session):
        abort(404)
    return found
