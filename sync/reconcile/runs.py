"""Reconciliation runs: build the system's report for the manual one's scope, compare, keep the run.

One core (:func:`reconcile_frame`) for both ways in: a ``manual_report_<id>`` workbook through the
ingest (its plan is :mod:`sync.plans.reconcile`), and a controller's own sheet through
:mod:`sync.pipeline.reconcile_file`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import Account, ReconciliationItem, ReconciliationRun
from schema.models.reconcile import EXPLANATIONS
from sync.kinds.reports import ReportSpec
from sync.reconcile.compare import LAG_DAYS, Difference, Reconciliation, compare
from sync.reports import Scope, build
from validators.findings import Finding, Severity

FINDING_CODES = {
    Difference.ONLY_MANUAL: "reconcile-only-manual",
    Difference.ONLY_SYSTEM: "reconcile-only-system",
    Difference.CELL: "reconcile-cell",
    Difference.DUPLICATE: "reconcile-duplicate",
}


@dataclass
class RunResult:
    run_id: int
    result: Reconciliation
    scope: Scope


def system_side(
    session: Session, report: ReportSpec, scope: Scope, lag_days: int = LAG_DAYS
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The system's report for the scope, and its rows dated just outside the period."""
    system = build(session, report, scope)
    if report.date_field is None:
        return system, None
    day = dt.timedelta(days=1)
    before = build(
        session, report, scope.shifted(scope.period_from - lag_days * day, scope.period_from - day)
    )
    after = build(session, report, scope.shifted(scope.period_to + day, scope.period_to + lag_days * day))
    return system, pd.concat([before, after], ignore_index=True)


def reconcile_frame(
    session: Session,
    account: Account,
    report: ReportSpec,
    manual: pd.DataFrame,
    scope: Scope,
    version_id: int | None = None,
    fields: list[str] | None = None,
    source: tuple[str, str] | None = None,
) -> RunResult:
    """Compare ``manual`` (typed, indexed by Excel row) with the system and store the run;
    ``fields``: the columns the manual sheet has (default: all); ``source``: the compared
    workbook's kept bytes (SHA-256) and file name."""
    system, nearby = system_side(session, report, scope)
    result = compare(report, manual, system, nearby=nearby, fields=fields)
    run = ReconciliationRun(
        report_id=report.id,
        project_code=scope.project_code,
        period_from=scope.period_from,
        period_to=scope.period_to,
        account_id=account.id,
        version_id=version_id,
        source_sha256=source[0] if source else None,
        source_name=source[1][:255] if source else None,
        at=now(),
        manual_rows=result.manual_rows,
        system_rows=result.system_rows,
        matched_rows=result.matched_rows,
        mismatch_count=len(result.mismatches),
        totals=[t.as_dict() for t in result.totals],
        items=[
            ReconciliationItem(
                difference=m.difference.value,
                key=m.key,
                row=m.row,
                field=m.field,
                header=m.header,
                manual=m.manual,
                system=m.system,
                likely=m.likely.value if m.likely else None,
                cells=[list(c) for c in m.cells] if m.cells is not None else None,
            )
            for m in result.mismatches
        ],
    )
    session.add(run)
    session.flush()
    return RunResult(run.id, result, scope)


def findings_of(report: ReportSpec, result: Reconciliation, sheet: str) -> list[Finding]:
    """The mismatches as warnings for the author's result workbook."""
    out = []
    for m in result.mismatches:
        params = {
            "key": m.key,
            "system": m.system or "（空）",
            "likely": "（疑似录入延迟）" if m.likely else "",
        }
        out.append(
            Finding(
                FINDING_CODES[m.difference],
                sheet,
                m.row,
                m.header,
                m.manual if m.difference is Difference.CELL else m.key,
                params,
                Severity.WARNING,
            )
        )
    for total in result.totals:
        if total.difference:
            out.append(
                Finding(
                    "reconcile-total",
                    sheet,
                    None,
                    total.header,
                    str(total.manual),
                    {"system": str(total.system), "difference": str(total.difference)},
                    Severity.WARNING,
                )
            )
    return out


def scope_of(frame: pd.DataFrame) -> Scope | None:
    if frame.empty:
        return None
    first = frame.iloc[0]
    return Scope(str(first["project_code"]), first["period_from"], first["period_to"])


def explain(
    session: Session, item_id: int, account: Account, explanation: str, note: str | None
) -> ReconciliationItem:
    """Mark a mismatch explained (录入延迟 / 手工错误 / 系统错误 / 其他, with a note)."""
    if explanation not in EXPLANATIONS:
        raise ValueError(f"explanation must be one of {'、'.join(EXPLANATIONS)}")
    item = session.get(ReconciliationItem, item_id)
    if item is None:
        raise LookupError(item_id)
    item.explanation, item.note = explanation, note
    item.explained_by_id, item.explained_at = account.id, now()
    return item


def file_name(path: str) -> str:
    """The file name of a path recorded on any system (a drive path may use backslashes)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def run_summary(run: ReconciliationRun) -> dict[str, Any]:
    items = run.items
    return {
        "run": run.id,
        "report": run.report_id,
        "project": run.project_code,
        "period": [run.period_from.isoformat(), run.period_to.isoformat()],
        "manual_rows": run.manual_rows,
        "system_rows": run.system_rows,
        "matched_rows": run.matched_rows,
        "agrees": not items and all(Decimal(t["difference"]) == 0 for t in run.totals),
        "counts": {d.value: sum(1 for i in items if i.difference == d.value) for d in Difference},
        "date_lag": sum(1 for i in items if i.likely),
        "totals": run.totals,
        "mismatches": [
            {
                "id": i.id,
                "difference": i.difference,
                "key": i.key,
                "row": i.row,
                "header": i.header,
                "manual": i.manual,
                "system": i.system,
                "likely": i.likely,
                "cells": i.cells,
                "explanation": i.explanation,
                "note": i.note,
            }
            for i in items
        ],
    }
