"""Stored report runs: what a report showed, row by row, each time it was run for a scope and date.

A run keeps one digest per row key, so that running the same report for the same period again can
say which rows changed since and why (an entry dated inside the period that arrived later).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, Code, now


class ReportRun(Base):
    __tablename__ = "report_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(String(32), index=True)
    project_code: Mapped[Code]
    period_from: Mapped[dt.date]
    period_to: Mapped[dt.date]
    as_of: Mapped[dt.date]
    run_at: Mapped[dt.datetime] = mapped_column(default=now)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))


class ReportRunRow(Base):
    __tablename__ = "report_run_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("report_run.id"), index=True)
    row_key: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(32))
