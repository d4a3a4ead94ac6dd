"""Reports on customers and their events: 来电来访明细表."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

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
            CustomerEvent.account_id.in_(project_reps(scope.project_code)),
        )
        .order_by(CustomerEvent.at, Customer.phone)
    )
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=CALLS_VISITS.fields)
    # Wall-clock time in Shanghai, as the events were typed.
    frame["at"] = pd.to_datetime(
        [r.astimezone(SHANGHAI).replace(tzinfo=None) for r in frame["at"]] if len(frame) else [], utc=False
    )
    frame["is_new"] = frame["is_new"].astype("boolean")
    return frame
