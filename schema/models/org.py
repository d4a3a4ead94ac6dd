"""Regions, accounts and their roles (docs/domain.md §1)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, Code, Name, now
from schema.roles import CAPABILITIES, Capability

if TYPE_CHECKING:
    from schema.spec import WorkbookKind


class Region(Base):
    """地区公司."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class Account(Base):
    """A personal account. Never deleted: a departed employee's account is disabled."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[Name]
    password_hash: Mapped[str] = mapped_column(String(255))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    disabled_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    # security (sync.domain.accounts, web.auth): bumped to end every portal session of the account at once
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # who set the current password and when: the owner, an admin (one-time, cannot sign for a
    # while) or None (the server console: ``salesync user add``)
    password_set_at: Mapped[dt.datetime | None]
    password_set_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    admin_password_at: Mapped[dt.datetime | None]  # the last time an admin set it (the signing hold)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # sign-in failures since the last success, and the lock they earned (persisted: a restart forgets nothing)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None]

    region: Mapped[Region | None] = relationship()
    roles: Mapped[list[AccountRole]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_keys(self) -> set[str]:
        return {r.role for r in self.roles}

    def holds(self, *roles: str) -> bool:
        """Whether the account holds any of ``roles`` (``Role`` members or their keys)."""
        return not self.role_keys.isdisjoint(str(r) for r in roles)

    def can(self, capability: Capability) -> bool:
        """Whether one of the account's roles carries ``capability`` (the table in ``schema.roles``)."""
        return self.holds(*CAPABILITIES[capability])

    def may_submit(self, kind: WorkbookKind) -> bool:
        """Whether the account may submit workbooks of ``kind`` (the roles its declaration names)."""
        return self.active and self.holds(*kind.submit_roles)

    def __repr__(self) -> str:
        return f"<Account {self.username}>"


class AccountRole(Base):
    """One role held by an account, optionally scoped to a project (by project code)."""

    __tablename__ = "account_role"
    __table_args__ = (UniqueConstraint("account_id", "role", "project_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    role: Mapped[str] = mapped_column(String(32))
    project_code: Mapped[str | None] = mapped_column(String(64))

    account: Mapped[Account] = relationship(back_populates="roles")
