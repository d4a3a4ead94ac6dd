"""Reconciliation runs: build the system's report for the manual one's scope, compare, keep the run.

Two ways in, one core (:func:`reconcile_frame`):

- a ``manual_report_<id>`` workbook dropped in the reconciliation folder goes through the normal
  ingest (validated, version-stamped, bytes kept); its plan (:func:`apply_reconcile`) reconciles;
- ``salesync reconcile FILE`` also accepts a controller's own sheet with the same headers (column
  order free, extra columns ignored) and writes the manual workbook back with the differing cells
  highlighted and commented (:mod:`sync.reconcile.export`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import now
from schema.kinds import get_kind
from schema.models import Account, ReconciliationItem, ReconciliationRun, StoredFile, WorkbookVersion
from schema.models.reconcile import EXPLANATIONS
from schema.reports import ReportSpec, get_report
from sync.accounts import get_account
from sync.admission import NotAdmitted, read_file
from sync.app import Salesync
from sync.errors import FileUnavailable
from sync.feedback import replace_atomically
from sync.plans import IngestContext, PlanResult
from sync.reader import peek, read_workbook
from sync.reconcile.compare import LAG_DAYS, Difference, Reconciliation, compare
from sync.reconcile.export import mark_workbook
from sync.reports import Scope, build
from validators.findings import Finding, Severity
from validators.frames import prepare

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


def apply_reconcile(ctx: IngestContext) -> PlanResult:
    """The plan of the ``manual_report_*`` kinds: reconcile; the domain data is not touched."""
    out = PlanResult()
    report = get_report(str(ctx.kind.extra["report"]))
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


# -- a file on the command line -------------------------------------------------------------------


@dataclass
class FileReconciliation:
    """What ``salesync reconcile FILE`` did."""

    report: ReportSpec | None
    run_id: int | None = None
    result: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    export: Path | None = None

    @property
    def rejected(self) -> bool:
        return self.run_id is None

    @property
    def agrees(self) -> bool:
        return bool(self.result and self.result["agrees"])


def file_name(path: str) -> str:
    """The file name of a path recorded on any system (a drive path may use backslashes)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def export_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.对账.xlsx")


def reconcile_file(
    app: Salesync,
    path: Path,
    username: str,
    *,
    report_id: str | None = None,
    scope: Scope | None = None,
    out: Path | None = None,
    data: bytes | None = None,
    write_back: bool = True,
) -> FileReconciliation:
    """Reconcile a manual report: a ``manual_report_*`` template (through the ingest, so the
    version is kept and stamped) or a controller's own sheet with the report's headers (then
    ``report_id`` and ``scope`` are needed). Writes the marked-up copy to ``out`` (default: beside
    the file, ``<stem>.对账.xlsx``). ``data``: the file's bytes when already in hand (an upload);
    without ``write_back`` nothing is written to disk: no stamp, no feedback, no marked-up copy."""
    if data is None:
        try:
            data = read_file(path)
        except NotAdmitted as refusal:
            raise FileUnavailable(f"{path}（{refusal.finding.message(app.config.lang)}）") from None
    kind, _stamp = peek(data)  # the stamp alone: the ingest reads the sheets
    if kind is not None and kind.plan == "reconcile":
        report = get_report(str(kind.extra["report"]))
        outcome = app.ingest(path, username, data=data, write_back=write_back)
        done = FileReconciliation(
            report, findings=[f for f in outcome.findings if f.severity is Severity.ERROR]
        )
        run_id = outcome.reconciliation_run_id
        if run_id is None and outcome.verdict.value == "unchanged":
            with app.transaction() as session:
                run_id = session.scalar(
                    select(ReconciliationRun.id)
                    .join(WorkbookVersion, WorkbookVersion.id == ReconciliationRun.version_id)
                    .where(WorkbookVersion.sha256 == outcome.sha256)
                    .order_by(ReconciliationRun.id.desc())
                )
        done.run_id = run_id
    else:
        if report_id is None or scope is None:
            raw = read_workbook(data)  # what it is instead
            finding = raw.findings[0] if raw.findings else Finding("not-template")
            return FileReconciliation(None, findings=[Finding("reconcile-needs-scope", value=finding.code)])
        report = get_report(report_id)
        done = _reconcile_foreign(app, data, path.name, username, report, scope)
    if done.run_id is not None:
        with app.transaction() as session:
            run = session.get(ReconciliationRun, done.run_id)
            assert run is not None
            done.result = run_summary(run)
            if write_back:
                target = out or export_path(path)
                replace_atomically(target, mark_workbook(data, run))
                done.export = target
    return done


def _reconcile_foreign(
    app: Salesync, data: bytes, name: str, username: str, report: ReportSpec, scope: Scope
) -> FileReconciliation:
    kind = get_kind(f"manual_report_{report.id}")
    raw = read_workbook(data, assume=kind)
    scope_sheet = kind.sheets[1].name  # the scope comes from the command line here
    done = FileReconciliation(
        report, findings=[f for f in raw.findings if f.structural and f.sheet != scope_sheet]
    )
    sheet = raw.sheets.get("report_row")
    if done.findings or sheet is None:
        done.findings = done.findings or [
            Finding("sheet-missing", sheet=report.title, params={"sheet": report.title})
        ]
        return done
    prepared = prepare(sheet.spec, sheet.frame)
    errors = [f for f in prepared.findings if f.severity is Severity.ERROR]
    bad = {f.row for f in errors if f.row is not None}
    frame = prepared.frame[~prepared.frame.index.isin(list(bad))] if bad else prepared.frame
    done.findings = errors
    with app.transaction() as session:
        account = get_account(session, username)
        if not account.active or not account.role_keys & {r.value for r in kind.submit_roles}:
            done.findings = [Finding("not-permitted", params={"account": username, "kind": kind.title})]
            return done
        digest = hashlib.sha256(data).hexdigest()
        if session.get(StoredFile, digest) is None:  # nothing lost: the bytes compared are kept
            session.add(StoredFile(sha256=digest, size=len(data), content=data))
        present = sheet.frame.attrs.get("present")
        done.run_id = reconcile_frame(
            session, account, report, frame, scope, None, present, (digest, name)
        ).run_id
    return done


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
                "explanation": i.explanation,
                "note": i.note,
            }
            for i in items
        ],
    }
