"""``salesync status``: per personal folder, the last version, its outcome, files pending and errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from schema.base import SHANGHAI
from schema.models import Account, JobState, WatchJob, WorkbookVersion
from sync.app import Salesync

ERROR_STATES = (JobState.FAILED.value, JobState.REFUSED.value)
PENDING_STATES = (JobState.PENDING.value, JobState.RUNNING.value)


@dataclass
class FolderStatus:
    folder: str
    account: str | None
    name: str | None
    active: bool | None
    last_file: str | None = None
    last_version: int | None = None
    last_outcome: str | None = None
    last_summary: str | None = None
    last_seen: str | None = None  # Asia/Shanghai
    pending: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def folder_status(app: Salesync) -> list[FolderStatus]:
    out: dict[str, FolderStatus] = {}
    with app.transaction() as session:
        for account in session.scalars(select(Account).order_by(Account.username)):
            if account.region is not None:
                key = f"{account.region.code}/{account.username}"
                out[key] = FolderStatus(key, account.username, account.display_name, account.active)
                version = session.scalar(
                    select(WorkbookVersion)
                    .where(WorkbookVersion.account_id == account.id)
                    .order_by(WorkbookVersion.id.desc())
                    .limit(1)
                )
                if version is not None:
                    s = out[key]
                    s.last_file, s.last_version, s.last_outcome = (
                        Path(version.path).name,
                        version.seq,
                        version.outcome,
                    )
                    s.last_summary = version.summary
                    s.last_seen = version.seen_at.astimezone(SHANGHAI).isoformat(timespec="seconds")
        pending = session.execute(
            select(WatchJob.folder, func.count(WatchJob.id))
            .where(WatchJob.state.in_(PENDING_STATES))
            .group_by(WatchJob.folder)
        ).all()
        for folder, count in pending:
            _entry(out, folder).pending = int(count)
        latest = select(func.max(WatchJob.id)).group_by(WatchJob.path).scalar_subquery()
        for job in session.scalars(
            select(WatchJob)
            .where(WatchJob.id.in_(latest), WatchJob.state.in_(ERROR_STATES))
            .order_by(WatchJob.id)
        ):
            _entry(out, job.folder).errors.append(
                {
                    "file": job.path,
                    "state": job.state,
                    "code": job.code,
                    "message": job.detail,
                    "at": (job.finished_at or job.created_at)
                    .astimezone(SHANGHAI)
                    .isoformat(timespec="seconds"),
                }
            )
    return sorted(out.values(), key=lambda s: s.folder)


def _entry(out: dict[str, FolderStatus], folder: str) -> FolderStatus:
    if folder not in out:
        out[folder] = FolderStatus(folder, None, None, None)
    return out[folder]
