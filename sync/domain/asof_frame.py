"""The deals as of a day as one frame, computed in the database: the set-based twin of
:func:`sync.domain.asof.deals_at` for reports and the board.

The same rules as ``deals_at`` (see :mod:`sync.domain.asof`): the as-of joins (the first special
transaction dated after the day keeps the terms the deal had; the first re-pricing after it keeps the
contract's), the status, the contract's figures, are CASE expressions of one query that returns
plain columns — no ORM object per deal. What needs exact decimal rounding (a unit price re-derived
from a kept total and area, only for the deals re-priced later) and the money received are added in
pandas, column by column. A report of 100k deals thus reads 100k tuples once, and never builds a
Python object per deal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from schema.models import Contract, SpecialTransaction, Subscription
from sync.domain import rooms as states
from sync.domain.asof import REPRICING, _next_transaction, _true_ups, received_at
from sync.domain.trueup import ZERO, cents

#: the columns of :func:`deals_frame`, the fields of ``asof.DealAt`` and its derived figures
COLUMNS = [
    "id", "no", "date", "status", "room_code", "customer_name", "customer_phone", "rep_name", "plan_code",
    "discount_codes", "area", "unit_price", "total_price", "mortgage_ratio", "contract_no", "contract_date",
    "contract_area", "contract_unit_price", "contract_total", "ended_date", "received", "true_up", "live",
    "due", "outstanding",
]  # fmt: skip


def deals_frame(
    session: Session, project: str, day: dt.date, *, since: dt.date | None = None, money: bool = True
) -> pd.DataFrame:
    """The project's deals made on or before ``day`` (and on or after ``since``) as of ``day``, one
    row per deal in (认购日期, 认购编号) order, with exactly ``deals_at``'s figures (without
    ``money`` — the board's case — received, true-up, due and outstanding are left at zero
    and their two queries are not run)."""
    after = _next_transaction(day)
    reprice = _next_transaction(day, REPRICING)
    cancel = (
        select(SpecialTransaction.subscription_id, func.min(SpecialTransaction.date).label("date"))
        .where(SpecialTransaction.kind == "退房", SpecialTransaction.date <= day)
        .group_by(SpecialTransaction.subscription_id)
        .subquery()
    )
    s = Subscription
    later = after.c.old_room_code.is_not(None)  # a transaction dated after the day kept the day's terms
    signed = Contract.id.is_not(None)

    def kept(old: Any, now: Any) -> ColumnElement[Any]:
        return case((and_(later, old.is_not(None)), old), else_=now)

    stmt = (
        select(
            s.id,
            s.no,
            s.date,
            case(
                (cancel.c.date.is_not(None), "退房"),
                (signed, states.CONTRACTED),
                else_=states.SUBSCRIBED,
            ).label("status"),
            case((later, after.c.old_room_code), else_=s.room_code).label("room_code"),
            kept(after.c.old_customer_name, s.customer_name).label("customer_name"),
            kept(after.c.old_customer_phone, s.customer_phone).label("customer_phone"),
            s.rep_name,
            kept(after.c.old_plan_code, s.plan_code).label("plan_code"),
            case((later, after.c.old_discount_codes), else_=s.discount_codes).label("discount_codes"),
            kept(after.c.old_area, s.area).label("area"),
            kept(after.c.old_total_price, s.total_price).label("total_price"),
            s.mortgage_ratio,
            Contract.no.label("contract_no"),
            Contract.date.label("contract_date"),
            case((signed, func.coalesce(reprice.c.old_area, Contract.area))).label("contract_area"),
            case((signed, func.coalesce(reprice.c.old_total_price, Contract.total_price))).label(
                "contract_total"
            ),
            cancel.c.date.label("ended_date"),
            s.unit_price.label("sub_unit_price"),
            s.total_price.label("sub_total_price"),
            Contract.unit_price.label("c_unit_price"),
            Contract.total_price.label("c_total_price"),
        )
        .outerjoin(Contract, and_(Contract.subscription_id == s.id, Contract.date <= day))
        .outerjoin(cancel, cancel.c.subscription_id == s.id)
        .outerjoin(after, and_(after.c.subscription_id == s.id, after.c.rank == 1))
        .outerjoin(reprice, and_(reprice.c.subscription_id == s.id, reprice.c.rank == 1))
        .where(s.project_code == project, s.date <= day)
        .order_by(s.date, s.no)
    )
    if since is not None:
        stmt = stmt.where(s.date >= since)
    frame = read_frame(session, stmt)
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame["unit_price"] = _unit(
        frame["sub_unit_price"], frame["sub_total_price"], frame["total_price"], frame["area"]
    )
    frame["contract_unit_price"] = _unit(
        frame["c_unit_price"], frame["c_total_price"], frame["contract_total"], frame["contract_area"]
    )
    got = received_at(session, project, day) if money else {}
    frame["received"] = frame["id"].map(got).where(frame["id"].isin(got.keys()), ZERO)
    surveyed = _true_ups(session, project, day) if money else {}
    true_up = frame["room_code"].map(surveyed).where(frame["room_code"].isin(surveyed.keys()), ZERO)
    frame["true_up"] = true_up.where(frame["contract_no"].notna(), ZERO)
    frame["live"] = frame["status"].isin((states.SUBSCRIBED, states.CONTRACTED))
    contracted = frame["status"] == states.CONTRACTED
    frame["due"] = frame["total_price"] + frame["true_up"].where(contracted, ZERO)
    frame["outstanding"] = (frame["due"] - frame["received"]).where(frame["live"], ZERO)
    return frame[COLUMNS]


def read_frame(session: Session, stmt: Select[*tuple[Any, ...]]) -> pd.DataFrame:
    """The rows of a column select as a frame of Python objects, read through the Core result (no
    ORM row processing: the select names columns, never entities)."""
    result = session.connection().execute(stmt)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)


def _unit(unit: pd.Series, own_total: pd.Series, total: pd.Series, area: pd.Series) -> pd.Series:
    """The unit price: the row's own while the total is its own, else the kept total ÷ the kept area
    to the cent (computed only for the rows re-priced later)."""
    out = unit.copy()
    differs = total.notna() & (total != own_total)
    for i in differs[differs].index:  # only the deals re-priced after the day
        out.at[i] = cents(Decimal(str(total.at[i])) / Decimal(str(area.at[i])))  # type: ignore[assignment]
    return out.where(total.notna(), None)
