"""Workbooks, their versions, the kept bytes and the findings sent back to authors (docs/domain.md §7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, now
from schema.models.org import Account


class StoredFile(Base):
    """Raw bytes of a workbook version, content-addressed by SHA-256. Never deleted."""

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary())
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class Workbook(Base):
    """One living workbook: its identity (``uid``, written into the stamp), kind, author and place."""

    __tablename__ = "workbook"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    accepted_seq: Mapped[int] = mapped_column(Integer, default=0)
    # the accepted version whose stamp was written into the file at ``path`` (0: none yet)
    stamped_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    account: Mapped[Account] = relationship()


class WorkbookVersion(Base):
    """Every saved workbook the system saw, whatever its outcome.

    ``seq`` numbers the accepted versions of one workbook (1, 2, …) and is what the stamp carries;
    ``based_on_seq`` is the stamp the saved file carried, so a stale copy can be recognised.
    """

    __tablename__ = "workbook_version"
    __table_args__ = (UniqueConstraint("workbook_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workbook_id: Mapped[int | None] = mapped_column(ForeignKey("workbook.id"), index=True)
    seq: Mapped[int | None]
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"), index=True)
    path: Mapped[str] = mapped_column(String(1000))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[str | None] = mapped_column(String(40))
    template_version: Mapped[str | None] = mapped_column(String(16))
    seen_at: Mapped[dt.datetime] = mapped_column(default=now)
    based_on_seq: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(16))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    collisions: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str | None] = mapped_column(Text)

    workbook: Mapped[Workbook | None] = relationship()
    account: Mapped[Account] = relationship()
    findings: Mapped[list[VersionFinding]] = relationship(
        back_populates="version", order_by="VersionFinding.id", cascade="all, delete-orphan"
    )


class VersionFinding(Base):
    """One error or warning of a version, as shown to its author."""

    __tablename__ = "version_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"), index=True)
    code: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(8))
    sheet: Mapped[str | None] = mapped_column(String(64))
    row: Mapped[int | None]
    header: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    # the message's parameters, so it renders in the reader's language; None on rows from before
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    version: Mapped[WorkbookVersion] = relationship(back_populates="findings")


class KnownDigest(Base):
    """Digests of files salesync itself wrote back (stamp, status column) for a version.

    A watcher seeing such bytes again knows they are nothing new.
    """

    __tablename__ = "known_digest"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class SettledRows(Base):
    """Fingerprints of one accepted version's settled rows, per sheet.

    A row is settled when it went through without a finding that would recur (an error, a
    collision, a stale-copy conflict). The next save of the same workbook hashes its raw rows the
    same way; a row whose fingerprint is here is what the author left untouched, so it is neither
    typed, validated nor compared again. ``digests`` and ``links`` are little-endian uint64 arrays
    in the same order: each settled row's fingerprint and a hash of its link value (the customer's
    phone), so that rows related to a changed row are found without typing every row again. The
    fingerprints only ever save work: without them every row goes the full way.
    """

    __tablename__ = "settled_rows"

    version_id: Mapped[int] = mapped_column(ForeignKey("workbook_version.id"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    method: Mapped[str] = mapped_column(String(40))
    rows: Mapped[int] = mapped_column(Integer)
    digests: Mapped[bytes] = mapped_column(LargeBinary())
    links: Mapped[bytes] = mapped_column(LargeBinary())  # per row: a hash of its link value (phone)
