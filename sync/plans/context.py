"""What a plan is handed and what it returns: the ingest context of one version and the plan's result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from schema.models import Account, Workbook, WorkbookVersion
from schema.registry import Registry
from schema.spec import WorkbookKind
from sync.domain.worklog import LogWriter
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

# Every plan registers itself under the name a kind declares (``WorkbookKind.plan``).
PLANS: Registry[Plan] = Registry("sync plan")
