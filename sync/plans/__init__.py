"""Sync plans: how a kind's validated rows become database rows.

A kind names its plan (``WorkbookKind.plan``); the plan receives an :class:`IngestContext` and
returns a :class:`PlanResult`. Plans never commit: the ingest wraps them in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sync.worklog import LogWriter

from schema.models import Account, Workbook, WorkbookVersion
from schema.spec import WorkbookKind
from validators.findings import Findings
from validators.frames import Prepared


@dataclass
class IngestContext:
    session: Session
    account: Account
    kind: WorkbookKind
    version: WorkbookVersion
    workbook: Workbook
    book: dict[str, Prepared]
    base: dict[str, Prepared] | None = None  # the stamped version a stale copy was saved from
    allow_removals: bool = False
    hold_ratio: float = 0.5
    hold_minimum: int = 20
    log: LogWriter | None = None  # the version's work-log writer, made on first use

    @property
    def stale(self) -> bool:
        return self.base is not None

    def clean(self, entity: str) -> Prepared | None:
        return self.book.get(entity)

    def changed_in(self, version_id: int | None) -> int | None:
        """The seq of this workbook's version that last wrote a row (``row.version_id``): what a
        stale copy's change conflicts with; the latest accepted seq when another workbook wrote it."""
        version = self.session.get(WorkbookVersion, version_id) if version_id else None
        if version is not None and version.workbook_id == self.workbook.id and version.seq:
            return version.seq
        return self.workbook.accepted_seq


@dataclass
class PlanResult:
    rows_written: int = 0
    findings: Findings = field(default_factory=Findings)
    change_set_id: int | None = None
    held: bool = False
    reconciliation_run_id: int | None = None


Plan = Callable[[IngestContext], PlanResult]


def get_plan(name: str) -> Plan:
    from sync.plans.customers import apply_customers
    from sync.plans.master import apply_master_data

    plans: dict[str, Plan] = {"customers": apply_customers, "change_set": apply_master_data}
    plans.update(_deal_plans())
    plans["reconcile"] = _reconcile_plan()
    return plans[name]


def _reconcile_plan() -> Plan:
    from sync.reconcile.service import apply_reconcile

    return apply_reconcile


def _deal_plans() -> dict[str, Plan]:
    from sync.plans.deals import apply_sales_control
    from sync.plans.money import apply_finance
    from sync.plans.service import apply_service

    return {"sales_control": apply_sales_control, "finance": apply_finance, "service": apply_service}
