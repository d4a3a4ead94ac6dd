"""Reports on customers and their events: 来电来访明细表."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, false, func, not_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from schema.base import SHANGHAI
from schema.models import Account, AccountRole, Customer, CustomerEvent, Project, Region
from schema.roles import Role
from sync.kinds.customers import FIRST_EVENTS
from sync.kinds.reports import get_report
from sync.reports import Scope, builder

CALLS_VISITS = get_report("calls_visits")


def project_reps(project_code: str) -> Select[int]:
    """Accounts that sell in the project: a sales-rep role for it, or for their whole region."""
    region = select(Project.region_code).where(Project.code == project_code).scalar_subquery()
    return (
        select(AccountRole.account_id)
        .join(Account, Account.id == AccountRole.account_id)
        .join(Region, Region.id == Account.region_id)
        .where(
            AccountRole.role == Role.SALES_REP.value,
            or_(
                AccountRole.project_code == project_code,
                (AccountRole.project_code.is_(None)) & (Region.code == region),
            ),
        )
    )


def of_project(
    session: Session, project_code: str, rep: InstrumentedAttribute[int] = CustomerEvent.account_id
) -> ColumnElement[bool]:
    """Whether a customer event (joined with its customer) belongs to the project: the customer's
    意向项目 names it (its code or name); a customer naming no project of the region belongs, by
    the event's rep, to the rep's own project, or — a region-wide rep — to the region's first
    project (``rep``: the column naming the rep, the event's by default). Every event thus belongs to one project of its region, so a region's report counts
    a visit once."""
    project = session.scalars(select(Project).where(Project.code == project_code)).one()
    region = list(session.scalars(select(Project).where(Project.region_code == project.region_code)))
    first = min((p.code for p in region), default=project.code)

    def names(p: Project) -> ColumnElement[bool]:
        return or_(
            Customer.intended_project.contains(p.code, autoescape=True),
            Customer.intended_project.contains(p.name, autoescape=True),
        )

    named_any = or_(*(names(p) for p in region)) if region else false()
    own_reps = select(AccountRole.account_id).where(
        AccountRole.role == Role.SALES_REP.value, AccountRole.project_code == project_code
    )
    by_rep: ColumnElement[bool] = rep.in_(own_reps)
    if project_code == first:
        wide = (
            select(AccountRole.account_id)
            .join(Account, Account.id == AccountRole.account_id)
            .join(Region, Region.id == Account.region_id)
            .where(
                AccountRole.role == Role.SALES_REP.value,
                AccountRole.project_code.is_(None),
                Region.code == project.region_code,
            )
        )
        by_rep = or_(by_rep, rep.in_(wide))
    return or_(names(project), and_(not_(func.coalesce(named_any, false())), by_rep))


@builder("calls_visits")
def calls_visits(session: Session, scope: Scope) -> pd.DataFrame:
    start, end = scope.bounds()
    rep = aliased(Account)
    stmt = (
        select(
            CustomerEvent.at,
            rep.display_name,
            Customer.name,
            Customer.phone,
            CustomerEvent.kind,
            Customer.source,
            CustomerEvent.kind.in_(FIRST_EVENTS),
            CustomerEvent.content,
        )
        .join(Customer, Customer.id == CustomerEvent.customer_id)
        .join(rep, rep.id == CustomerEvent.account_id)
        .where(
            CustomerEvent.at >= start,
            CustomerEvent.at < end,
            of_project(session, scope.project_code),
        )
        .order_by(CustomerEvent.at, Customer.phone)
    )
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=CALLS_VISITS.fields)
    # Wall-clock time in Shanghai, as the events were typed.
    frame["at"] = (
        pd.to_datetime(frame["at"].tolist(), utc=True).tz_convert(SHANGHAI).tz_localize(None)
        if len(frame)
        else pd.to_datetime([], utc=False)
    )
    frame["is_new"] = frame["is_new"].astype("boolean")
    return frame
