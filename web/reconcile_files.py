"""Workbooks in and out of the 双轨对账 pages.

In: a manual report uploaded in the browser is reconciled by ``sync.pipeline.reconcile_file``,
the same call as ``salesync reconcile FILE``, as the signed-in account. Before anything is written the
upload is read once to refuse what cannot be reconciled (not a workbook, damaged, another template,
no scope) and a scope outside the user's region. Both the read and the reconciliation run in the
portal's isolated worker process (``sync.isolated.run_isolated``): a file that crashes the reader or
eats all memory costs that worker, and the page says the file cannot be read. Out: the manual workbook a run compared, with the
differing cells highlighted (``sync.reconcile.export.mark_workbook``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from schema.base import now
from schema.models import ReconciliationRun, StoredFile
from sync.app import Salesync
from sync.isolated import IsolatedFailure, WorkerCrashed, run_isolated
from sync.kinds.reports import REPORTS
from sync.pipeline.reconcile_file import export_path
from sync.reconcile.export import mark_workbook
from sync.reports import Scope
from sync.uploads import UploadRead
from web.auth import PortalUser
from web.i18n import lang, tr
from web.params import plausible
from web.scope import may_see_project

if TYPE_CHECKING:
    from validators.findings import Finding

UPLOADS_DIR = "uploads"  # the recorded place of an upload: <data_dir>/uploads/<account>/<file name>
SHOWN_FINDINGS = 10


@dataclass
class Uploaded:
    run_id: int | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repeated: bool = False  # the same bytes were reconciled before: that run is the answer


def upload_name(filename: str | None) -> str | None:
    """The file's own name (no folders), if it is an .xlsx workbook's."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[-120:]
    return name if name.lower().endswith(".xlsx") and len(name) > 5 else None


def scope_from_form(
    report_id: str, project: str, period_from: str, period_to: str
) -> tuple[str | None, Scope | None, list[str]]:
    """The report and scope a controller's own sheet needs (a template names its own)."""
    given = [report_id, project, period_from, period_to]
    if not any(given):
        return None, None, []
    if not all(given) or report_id not in REPORTS:
        return (
            None,
            None,
            [
                tr(
                    "使用自己的表格时，请选择报表并填写项目编码、期间起和期间止",
                    "For your own sheet, choose the report and fill in the project code and the period",
                )
            ],
        )
    try:
        start, end = (
            plausible(dt.date.fromisoformat(period_from)),
            plausible(dt.date.fromisoformat(period_to)),
        )
    except ValueError:
        return None, None, [tr("期间的日期格式应为 2026-11-01", "Dates are written like 2026-11-01")]
    if start > end:
        return None, None, [tr("期间起不能晚于期间止", "The period cannot end before it starts")]
    return report_id, Scope(project, start, end), []


def _messages(findings: list[Finding]) -> list[str]:
    shown = [f.message(lang()) for f in findings[:SHOWN_FINDINGS]]
    if len(findings) > SHOWN_FINDINGS:
        shown.append(
            tr(f"……另有 {len(findings) - SHOWN_FINDINGS} 项", f"… and {len(findings) - SHOWN_FINDINGS} more")
        )
    return shown


def _refusal(read: UploadRead) -> list[str]:
    """Why a file that is no manual-report template, uploaded without a scope, cannot be reconciled."""
    if read.findings:
        return _messages(read.findings)
    if read.kind_title:
        return [
            tr(
                f"这是“{read.kind_title}”工作簿，不是手工报表：请上传手工报表模板，或选择报表并填写项目与期间",
                f"This is a “{read.kind_title}” workbook, not a manual report: upload a manual-report "
                "template, or choose the report and fill in the project and period",
            )
        ]
    return [
        tr(
            "这不是手工报表模板：使用自己的表格时，请选择报表并填写项目编码、期间起和期间止",
            "Not a manual-report template: for your own sheet, choose the report and fill in the "
            "project code and the period",
        )
    ]


def _unreadable(exc: WorkerCrashed | IsolatedFailure) -> Uploaded:
    return Uploaded(
        errors=[
            tr(
                f"无法读取此文件（{exc.detail}），未核对：请检查文件后重新上传",
                f"This file cannot be read ({exc.detail}); nothing was reconciled: check it and upload again",
            )
        ]
    )


def reconcile_upload(
    app: Salesync,
    session: Session,
    viewer: PortalUser,
    name: str,
    data: bytes,
    report_id: str | None,
    scope: Scope | None,
) -> Uploaded:
    """Reconcile an uploaded manual report as ``viewer``; nothing is written unless it can be."""
    try:
        read: UploadRead = run_isolated("sync.uploads:read_upload", name, data)
    except (WorkerCrashed, IsolatedFailure) as exc:
        return _unreadable(exc)
    if read.template:
        if read.findings:
            return Uploaded(errors=_messages(read.findings))
        report_id, scope = None, read.scope
    elif scope is None:
        return Uploaded(errors=_refusal(read))
    assert scope is not None
    if not may_see_project(session, scope.project_code, viewer):
        return Uploaded(
            errors=[
                tr(
                    f"项目“{scope.project_code}”不存在或不属于您的地区",
                    f"The project “{scope.project_code}” does not exist or is outside your region",
                )
            ]
        )
    started = now()
    # recorded as the account's upload of that name; the bytes go to the database, not to a folder
    path = app.config.data_dir / UPLOADS_DIR / viewer.username / name
    try:
        run_id, findings = run_isolated(
            "sync.uploads:reconcile_upload_file",
            app.config,
            path,
            viewer.username,
            report_id,
            scope,
            data,
        )
    except (WorkerCrashed, IsolatedFailure) as exc:
        return _unreadable(exc)
    if run_id is None:
        return Uploaded(
            errors=_messages(findings) or [tr("无法核对此文件", "This file cannot be reconciled")]
        )
    run = session.get(ReconciliationRun, run_id)
    assert run is not None
    return Uploaded(run_id, warnings=_messages(findings), repeated=run.at < started)


# -- out ------------------------------------------------------------------------------------------


def _source(session: Session, run: ReconciliationRun) -> tuple[bytes, str] | None:
    """The manual workbook's bytes the run compared, and its file name."""
    stored = session.get(StoredFile, run.source_sha256) if run.source_sha256 else None
    if stored is None:
        return None
    return stored.content, run.source_name or "手工报表.xlsx"


def marked_export(session: Session, run: ReconciliationRun) -> tuple[bytes, str] | None:
    """The manual workbook with the differing cells highlighted, and its download name."""
    source = _source(session, run)
    if source is None:
        return None
    data, name = source
    return mark_workbook(data, run), export_path(Path(name)).name
