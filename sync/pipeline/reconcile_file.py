"""Reconcile a manual report given as a file: on the command line (``salesync reconcile FILE``) or
uploaded in the portal.

A ``manual_report_<id>`` template goes through the normal ingest (validated, version-stamped, bytes
kept) and its plan reconciles; a controller's own sheet with the same headers (column order free,
extra columns ignored) is read against the report's spec with the scope given. Either way the manual
workbook comes back with the differing cells highlighted and commented (:mod:`sync.reconcile.export`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from schema.models import ReconciliationRun, StoredFile, WorkbookVersion
from sync.core.errors import FileUnavailable
from sync.core.store import Store
from sync.domain.accounts import get_account
from sync.kinds import get_kind
from sync.kinds.reports import ReportSpec, get_report
from sync.pipeline.feedback import replace_atomically
from sync.pipeline.ingest import ingest_file
from sync.reconcile.export import mark_workbook
from sync.reconcile.runs import reconcile_frame, run_summary, scope_of
from sync.reports import Scope
from sync.xlsx import safety
from sync.xlsx.admission import NotAdmitted, read_file
from sync.xlsx.reader import peek, read_workbook
from sync.xlsx.templates import template_bytes
from validators.findings import Finding, Severity
from validators.frames import prepare


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


def export_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.对账.xlsx")


def reconcile_file(
    app: Store,
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
        report = get_report(str(kind.report))
        outcome = ingest_file(app, path, username, data=data, write_back=write_back)
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
    app: Store, data: bytes, name: str, username: str, report: ReportSpec, scope: Scope
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
        if not account.active or not account.may_submit(kind):
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


# -- an upload in the portal ------------------------------------------------------------------------


@dataclass
class Upload:
    """What an uploaded file is, read once before anything is written: a ``manual_report_*``
    template (with the scope it names, or the findings that keep it from naming one), or some other
    workbook (its kind's title when it is one of ours)."""

    template: bool
    scope: Scope | None = None
    findings: list[Finding] = field(default_factory=list)
    kind_title: str | None = None


def classify_upload(data: bytes) -> Upload:
    kind, _stamp = peek(data)
    title = kind.title if kind else None
    if kind is not None and kind.plan == "reconcile":
        scope, findings = _template_scope(data)
        return Upload(True, scope, findings, title)
    return Upload(False, kind_title=title)


def unsafe_findings(data: bytes) -> list[Finding]:
    """Why the safety inspection refuses these bytes (nothing when it does not)."""
    return list(safety.inspect(data).findings)


def _template_scope(data: bytes) -> tuple[Scope | None, list[Finding]]:
    """The scope a ``manual_report_*`` template names on its 范围 sheet."""
    raw = read_workbook(data)
    structural = [f for f in raw.findings if f.structural]
    if structural:
        return None, structural
    sheet = raw.sheets.get("scope")
    prepared = prepare(sheet.spec, sheet.frame) if sheet is not None else None
    errors = [f for f in prepared.findings if f.severity is Severity.ERROR] if prepared else []
    if errors:
        return None, errors
    scope = scope_of(prepared.frame) if prepared is not None else None
    if scope is None:
        return None, [Finding("reconcile-no-scope", sheet="范围")]
    return scope, []


def manual_template(report_id: str) -> tuple[bytes, str]:
    """The empty manual-report template of a report (its file name: 手工<报表>.xlsx), as the controller
    downloads it to fill in by hand; unknown report ids raise KeyError."""
    kind = get_kind(f"manual_report_{get_report(report_id).id}")
    return template_bytes(kind), f"{kind.title}.xlsx"
