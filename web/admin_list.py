"""账号管理's list of accounts: the ones an admin administers, paged, searched, filtered and sorted in
SQL with the state in the URL (a group of tens of thousands of staff reads one page at a time)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, selectinload

from schema.models import Account, AccountRole, Region
from schema.roles import Role
from sync.domain import accounts
from web.listing import Listing, Page, paged, search

ACCOUNT_FILTERS = ("role", "region", "status")
#: the sortable columns (by region and username unless asked otherwise)
ACCOUNT_ORDER: dict[str, Any] = {
    "username": Account.username,
    "name": Account.display_name,
    "created": Account.created_at,
    "id": Account.id,
}
ROLES = tuple(r.value for r in Role)


def _in_scope(actor: Account) -> Select[Account]:
    stmt = select(Account)
    if accounts.is_group_admin(actor):
        return stmt
    if accounts.is_region_admin(actor):
        return stmt.where(Account.region_id == actor.region_id)
    return stmt.where(false())


def accounts_page(session: Session, actor: Account, listing: Listing) -> Page[Account]:
    """One page of the accounts ``actor`` administers: searched by username or name, filtered by role,
    region (code, or ``group`` for accounts of no region) and status (``active`` / ``disabled``)."""
    stmt = search(_in_scope(actor), listing.q, Account.username, Account.display_name)
    role = listing.get("role")
    if role:
        stmt = stmt.where(Account.id.in_(select(AccountRole.account_id).where(AccountRole.role == role)))
    region = listing.get("region")
    if region == "group":
        stmt = stmt.where(Account.region_id.is_(None))
    elif region:
        stmt = stmt.where(Account.region_id.in_(select(Region.id).where(Region.code == region)))
    status = listing.get("status")
    if status in ("active", "disabled"):
        stmt = stmt.where(Account.active.is_(status == "active"))
    return paged(
        session,
        stmt.options(selectinload(Account.roles), selectinload(Account.region)),
        listing,
        ACCOUNT_ORDER,
    )
