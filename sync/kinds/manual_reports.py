"""manual_report_<id> — the hand-made reports of the dual-track period (docs/domain.md §2.6, §8).

One kind per system report of :mod:`sync.kinds.reports`: a sheet with exactly the report's columns and
a 范围 sheet naming the scope (项目编码, 期间起, 期间止). A controller's own workbook with the same
headers is accepted too (``salesync reconcile FILE --project P --from D --to D``). Ingesting one
reconciles it against the system's report for the same scope and period.
"""

from __future__ import annotations

from dataclasses import replace

from schema.roles import Capability, holders
from schema.spec import ColType, Column, Deletion, Sheet, WorkbookKind
from sync.kinds.reports import REPORTS, ReportSpec

SCOPE = Sheet(
    name="范围",
    entity="scope",
    key=("project_code",),
    deletion=Deletion.NEVER,
    columns=(
        Column("project_code", "项目编码", ColType.CODE, required=True),
        Column("period_from", "期间起", ColType.DATE, required=True, hint="本报表统计期间的第一天"),
        Column("period_to", "期间止", ColType.DATE, required=True, hint="本报表统计期间的最后一天（含）"),
    ),
    description="本手工报表的项目与统计期间，只填一行。",
)

CONTROLLERS = holders(Capability.RECONCILE)


def report_sheet(report: ReportSpec) -> Sheet:
    """The report's rows as a sheet: its columns, only the key required."""
    columns = tuple(replace(c, required=c.field in report.key) for c in report.columns)
    return Sheet(
        name=report.title,
        entity="report_row",
        columns=columns,
        key=report.key,
        deletion=Deletion.NEVER,
        description=f"与系统“{report.title}”相同的列；按“{'+'.join(report.header(k) for k in report.key)}”逐行核对。",
    )


def manual_kind(report: ReportSpec) -> WorkbookKind:
    return WorkbookKind(
        id=f"manual_report_{report.id}",
        title=f"手工{report.title}",
        version="1",
        sheets=(report_sheet(report), SCOPE),
        submit_roles=CONTROLLERS,
        plan="reconcile",
        description=f"双轨制期间手工编制的{report.title}，与系统报表逐格对账。",
        report=report.id,
    )


KINDS = tuple(manual_kind(r) for r in REPORTS.values())
