"""The reading of a portal upload, run in an isolated worker process (``sync.isolated``).

A manual report uploaded in the browser is untrusted bytes: a file that makes a reader abort or eat
all memory must not take the portal down (nor, under ``salesync up``, the watcher beside it). The
portal therefore reads an upload and reconciles it through these functions in its worker process;
only plain data (the findings, the scope, the run's id) comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sync.core.config import Config
from sync.isolated import inject_fault, service_for
from sync.pipeline.reconcile_file import classify_upload, reconcile_file, unsafe_findings
from sync.reports import Scope
from validators.findings import Finding


@dataclass
class UploadRead:
    """What an upload is: a manual-report template (with its scope or why not), or something else."""

    kind_title: str | None = None
    template: bool = False
    scope: Scope | None = None
    findings: list[Finding] = field(default_factory=list)


def read_upload(name: str, data: bytes) -> UploadRead:
    """The kind of an upload and, for a manual-report template, the scope its 范围 sheet names; for
    anything else the safety findings that refuse it (in the worker process)."""
    inject_fault(name)
    upload = classify_upload(data)
    if not upload.template:
        return UploadRead(upload.kind_title, findings=unsafe_findings(data))
    return UploadRead(upload.kind_title, True, upload.scope, upload.findings)


def reconcile_upload_file(
    config: Config,
    path: Path,
    username: str,
    report_id: str | None,
    scope: Scope | None,
    data: bytes,
) -> tuple[int | None, list[Finding]]:
    """``reconcile_file`` of an upload, nothing written to disk (in the worker process): the run's
    id (None when refused) and the findings."""
    inject_fault(path.name)
    done = reconcile_file(
        service_for(config), path, username, report_id=report_id, scope=scope, data=data, write_back=False
    )
    return done.run_id, list(done.findings)
