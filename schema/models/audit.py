"""Change sets, signatures and the append-only, hash-chained work log (docs/domain.md §6)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, Code, now

if TYPE_CHECKING:
    from schema.models.ingest import WorkbookVersion
    from schema.models.org import Account

PENDING, APPLIED, REJECTED, SUPERSEDED = "待签", "已生效", "已驳回", "已作废"
APPROVE, REJECT = "批准", "驳回"


class ChangeSet(Base):
    """The exact diff a master-data workbook version makes. Kept whatever becomes of it.

    ``status``: 待签 (pending) / 已生效 (applied) / 已驳回 (rejected) / 已作废 (superseded by
    ``superseded_by_id``). ``content_hash`` is the SHA-256 of its items as submitted: a signature
    binds to it, so a change set altered after signing no longer counts as signed.
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
    content_hash: Mapped[str | None] = mapped_column(String(64))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("change_set.id"))

    version: Mapped[WorkbookVersion] = relationship()
    items: Mapped[list[ChangeItem]] = relationship(
        back_populates="change_set", order_by="ChangeItem.id", cascade="all, delete-orphan"
    )
    signatures: Mapped[list[Signature]] = relationship(back_populates="change_set", order_by="Signature.id")

    @property
    def projects(self) -> list[str]:
        return [c for c in self.project_codes.split(",") if c]


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
    """An electronic signature: who, when, in which role, and its meaning (批准 / 驳回 with a reason).

    ``content_hash`` is the change set's content the signer saw; ``seal`` is a keyed MAC over the
    whole signature, so a signature row written into the database by hand does not count.
    """

    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    role: Mapped[str] = mapped_column(String(32))
    meaning: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(default=now)
    content_hash: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str] = mapped_column(String(64))

    change_set: Mapped[ChangeSet] = relationship(back_populates="signatures")
    account: Mapped[Account] = relationship()


class WorkLogEntry(Base):
    """Append-only record of one applied change (or signature, rejection, account change).

    Who (``account_id``), what (``entity``, ``key``, ``op``, ``field``, ``old`` → ``new``, ``changes``
    for anything else), when, from which workbook version, under which change set and signed by whom.
    ``hash`` is a keyed SHA-256 (HMAC) of the entry and ``prev_hash``; ``seq`` counts from 1.
    """

    __tablename__ = "work_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(default=now)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    entity: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    op: Mapped[str] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str] = mapped_column(Text)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    change_set_id: Mapped[int | None] = mapped_column(ForeignKey("change_set.id"))
    signers: Mapped[str | None] = mapped_column(String(400))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class WorkLogHead(Base):
    """The one row naming the log's last entry, sealed with the key: deleting the tail shows.

    ``legacy`` counts the unkeyed entries written before the key existed (sealed when the first
    keyed entry is appended); only those may verify without the key. Appenders lock this row, so
    concurrent writers chain one after the other, never in a fork.
    """

    __tablename__ = "work_log_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    legacy: Mapped[int] = mapped_column(Integer, default=0)  # unkeyed entries from before revision 0003
    seal: Mapped[str] = mapped_column(String(64))


class SealedRows(Base):
    """The row hashes behind one digest-sealed work-log entry (``seq``), in the entry's canonical order.

    The entry seals their SHA-256 (its batch digest), so this list cannot change unnoticed; it is
    what lets ``salesync audit verify --deep`` name the first row that differs instead of only
    saying that a table's digest does not hold. ``hashes`` is ``rows`` × 16 bytes; no values.
    """

    __tablename__ = "sealed_rows"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    rows: Mapped[int] = mapped_column(Integer)
    hashes: Mapped[bytes] = mapped_column(LargeBinary())
