"""Dual-track reconciliation runs and their mismatches (docs/domain.md §8)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schema.base import Base, Code, now

#: How a controller explains a mismatch.
EXPLANATIONS = ("录入延迟", "手工错误", "系统错误", "其他")


class ReconciliationRun(Base):
    """One comparison of a manual report with the system's for a scope and period; kept for good."""

    __tablename__ = "reconciliation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(String(32), index=True)
    project_code: Mapped[Code] = mapped_column(index=True)
    period_from: Mapped[dt.date]
    period_to: Mapped[dt.date]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("workbook_version.id"))
    # the manual workbook compared: its kept bytes, and the name it had (for the marked-up copy)
    source_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_file.sha256"))
    source_name: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[dt.datetime] = mapped_column(default=now)
    manual_rows: Mapped[int]
    system_rows: Mapped[int]
    matched_rows: Mapped[int]
    mismatch_count: Mapped[int]
    totals: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    items: Mapped[list[ReconciliationItem]] = relationship(
        back_populates="run", order_by="ReconciliationItem.id", cascade="all, delete-orphan"
    )


class ReconciliationItem(Base):
    """A row only on one side, a differing cell or a repeated key; explained by a controller."""

    __tablename__ = "reconciliation_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_run.id"), index=True)
    difference: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(400))
    row: Mapped[int | None]
    field: Mapped[str | None] = mapped_column(String(64))
    header: Mapped[str | None] = mapped_column(String(64))
    manual: Mapped[str | None] = mapped_column(Text)
    system: Mapped[str | None] = mapped_column(Text)
    likely: Mapped[str | None] = mapped_column(String(16))
    # a row on one side only, whole: [[header, value], …] of the compared columns
    cells: Mapped[list[list[str | None]] | None] = mapped_column(JSON)
    explanation: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    explained_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    explained_at: Mapped[dt.datetime | None]

    run: Mapped[ReconciliationRun] = relationship(back_populates="items")
