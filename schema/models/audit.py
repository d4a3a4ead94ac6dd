"""Change sets, signatures and the append-only, hash-chained work log (DOMAIN.md §6)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, Code, now


class ChangeSet(Base):
    """The exact diff a master-data workbook version makes. Kept whatever becomes of it.

    ``status``: 待签 (pending) / 已生效 (applied) / 已驳回 (rejected) / 已作废 (superseded).
    """

    __tablename__ = "change_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    project_codes: Mapped[str] = mapped_column(String(400))
    is_initial: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    applied_at: Mapped[dt.datetime | None]
    instruction_date: Mapped[dt.date | None]
    instructed_by: Mapped[str | None] = mapped_column(String(200))
    instruction: Mapped[str | None] = mapped_column(Text)
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    rows_removed: Mapped[int] = mapped_column(Integer, default=0)

    items: Mapped[list[ChangeItem]] = relationship(
        back_populates="change_set", order_by="ChangeItem.id", cascade="all, delete-orphan"
    )
    signatures: Mapped[list[Signature]] = relationship(back_populates="change_set", order_by="Signature.id")


class ChangeItem(Base):
    """One field of one row: ``op`` is add / change / remove; old and new are display text."""

    __tablename__ = "change_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    key: Mapped[Code]
    op: Mapped[str] = mapped_column(String(8))
    field: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    sheet: Mapped[str | None] = mapped_column(String(64))
    row: Mapped[int | None]

    change_set: Mapped[ChangeSet] = relationship(back_populates="items")


class Signature(Base):
    """An electronic signature: who, when, in which role, and its meaning (批准 / 驳回 with a reason)."""

    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    role: Mapped[str] = mapped_column(String(32))
    meaning: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(default=now)

    change_set: Mapped[ChangeSet] = relationship(back_populates="signatures")


class WorkLogEntry(Base):
    """Append-only record of an applied change, chained to its predecessor by SHA-256."""

    __tablename__ = "work_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=now)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    entity: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    op: Mapped[str] = mapped_column(String(8))
    changes: Mapped[str] = mapped_column(Text)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    change_set_id: Mapped[int | None] = mapped_column(ForeignKey("change_set.id"))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
