"""``salesync status``: per personal folder, the last version, its outcome, files pending and errors;
and the queue as a whole (depth, oldest job, retrying, quarantined) and the drive (network or not).

A job waiting after a fault or a failure (``watch-fault``, ``watch-failed``, ``watch-worker-crashed``)
is shown with its folder's errors, its state ``pending``: the line says what went wrong and that it
will be tried again; a quarantined job stays there until a newer save of the file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select

from schema.base import SHANGHAI, now
from schema.models import Account, JobState, WatchJob, WorkbookVersion
from sync.app import Salesync
from sync.watch.mounts import drive_mount

ERROR_STATES = (JobState.FAILED.value, JobState.REFUSED.value, JobState.QUARANTINED.value)
PENDING_STATES = (JobState.PENDING.value, JobState.RUNNING.value)


@dataclass
class QueueStatus:
    depth: int  # jobs pending or running
    running: int
    retrying: int  # pending again after a fault or a failure
    quarantined: int
    oldest: str | None  # when the oldest waiting job was recorded (Asia/Shanghai)
    oldest_age_seconds: int | None
    drive_root: str
    drive_fstype: str | None
    drive_network: bool
    polling: bool  # the watcher polls this drive (configured, or a network file system)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def queue_status(app: Salesync) -> QueueStatus:
    waiting = WatchJob.state.in_(PENDING_STATES)
    with app.transaction() as session:
        depth, running, retrying, oldest = session.execute(
            select(
                func.count(WatchJob.id),
                func.count(WatchJob.id).filter(WatchJob.state == JobState.RUNNING.value),
                func.count(WatchJob.id).filter(
                    WatchJob.state == JobState.PENDING.value, WatchJob.code.is_not(None)
                ),
                func.min(WatchJob.created_at),
            ).where(waiting)
        ).one()
        quarantined = session.scalar(
            select(func.count(WatchJob.id)).where(WatchJob.state == JobState.QUARANTINED.value)
        )
    mount = drive_mount(app.config.drive_root)
    network = bool(mount and mount.network)
    return QueueStatus(
        depth=int(depth),
        running=int(running),
        retrying=int(retrying),
        quarantined=int(quarantined or 0),
        oldest=oldest.astimezone(SHANGHAI).isoformat(timespec="seconds") if oldest else None,
        oldest_age_seconds=int((now() - oldest).total_seconds()) if oldest else None,
        drive_root=str(app.config.drive_root),
        drive_fstype=mount.fstype if mount else None,
        drive_network=network,
        polling=app.config.watch_polling or network,
    )


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
        troubled = or_(
            WatchJob.state.in_(ERROR_STATES),
            and_(WatchJob.state == JobState.PENDING.value, WatchJob.code.is_not(None)),
        )
        for job in session.scalars(
            select(WatchJob).where(WatchJob.id.in_(latest), troubled).order_by(WatchJob.id)
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
