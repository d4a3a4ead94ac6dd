"""Online spreadsheets registered as workbooks of an account (sync/sources): where they are, what was
last read from them, and why the last attempt failed, if it did."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, now
from schema.models.ingest import WorkbookVersion
from schema.models.org import Account


class OnlineSheet(Base):
    """One registered online spreadsheet: it is entered as ``kind`` by ``account``.

    ``values_digest`` is the digest of the values last ingested (the status column left out, so
    salesync's own write-back is not a change); ``error_code``/``error_detail`` say why the last
    attempt could not read the sheet, ``failures`` how many attempts in a row failed, and
    ``next_attempt_at`` when the schedule tries again (exponential backoff).
    """

    __tablename__ = "online_sheet"
    __table_args__ = (UniqueConstraint("provider", "sheet_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), default="gsheets")
    sheet_key: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str | None] = mapped_column(String(255))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    workbook_uid: Mapped[str | None] = mapped_column(String(36))
    values_digest: Mapped[str | None] = mapped_column(String(64))
    last_version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    last_checked_at: Mapped[dt.datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(48))
    error_detail: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[dt.datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    account: Mapped[Account] = relationship()
    last_version: Mapped[WorkbookVersion | None] = relationship()
