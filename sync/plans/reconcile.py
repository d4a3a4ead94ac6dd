"""The plan of the ``manual_report_*`` kinds: reconcile the hand-made report; the domain data is not
touched (:mod:`sync.reconcile.runs` keeps the run)."""

from __future__ import annotations

from sync.kinds.reports import get_report
from sync.plans.context import PLANS, IngestContext, PlanResult
from sync.reconcile.runs import file_name, findings_of, reconcile_frame, scope_of
from validators.findings import Finding


@PLANS.register("reconcile")
def apply_reconcile(ctx: IngestContext) -> PlanResult:
    """The plan of the ``manual_report_*`` kinds: reconcile; the domain data is not touched."""
    out = PlanResult()
    report = get_report(str(ctx.kind.report))
    rows = ctx.book.get("report_row")
    scope_sheet = ctx.book.get("scope")
    scope = scope_of(scope_sheet.frame) if scope_sheet is not None else None
    if rows is None or scope is None:
        out.findings.append(Finding("reconcile-no-scope", sheet="范围"))
        return out
    present = rows.raw.attrs.get("present")
    source = (ctx.version.sha256, file_name(ctx.version.path))
    run = reconcile_frame(
        ctx.session, ctx.account, report, rows.frame, scope, ctx.version.id, present, source
    )
    out.findings += findings_of(report, run.result, rows.sheet.name)
    out.reconciliation_run_id = run.run_id
    return out
