"""One claimed job → one ingest, or a reason it was not ingested.

The worker reads the file again and goes on only if it still has the recorded bytes (else a newer
save supersedes the job). A file outside a personal folder, or of a kind the folder's account may
not submit, is refused: it is reported (log, ``salesync status`` and a result workbook beside it)
and not ingested. A blank template is skipped. Everything else goes through ``Salesync.ingest``
with exactly the recorded bytes; when Excel holds the file open the stamp waits (``stamp_pending``)
and is written once the owner file goes.

A job recorded at another site (another host or drive root) is not read from its path, which means
nothing here: it is ingested from the bytes the job carries, without write-back; its stamp waits
(``stamp_pending``) for a watcher of its own site. ``run_job`` is what the watcher's isolated worker
process runs (``sync.isolated``): the same ``process`` with its own engine, its log events handed back.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import DBAPIError

from schema.base import SHANGHAI
from schema.models import Account, JobState, KnownDigest, StoredFile, WatchJob, Workbook, WorkbookVersion
from sync.app import Salesync
from sync.core.config import Config
from sync.isolated import inject_fault, service_for
from sync.kinds import all_kinds
from sync.pipeline.feedback import is_open, write_result_workbook
from sync.pipeline.outcome import Outcome, Verdict
from sync.pipeline.writeback import record_written, stamp_file
from sync.watch import queue
from sync.watch.logs import EventLog
from sync.xlsx.admission import NotAdmitted, drive_root_of, read_file
from sync.xlsx.reader import peek
from sync.xlsx.stamp import Stamp
from sync.xlsx.stamp_write import StampError, write_stamp
from sync.xlsx.templates import template_bytes
from validators.findings import Finding, Findings

ACCEPTING = (Verdict.ACCEPTED, Verdict.PARTIAL)


@cache
def blank_templates() -> frozenset[str]:
    return frozenset(hashlib.sha256(template_bytes(k)).hexdigest() for k in all_kinds().values())


def own_write_back(app: Salesync, digest: str, stamp: Stamp | None) -> int | None:
    """The version whose bytes plus salesync's stamp are exactly this file, if it is one.

    The stamp is written into the file before its digest is recorded; if the database went away in
    between, the stamped file would otherwise look like a new save.
    """
    if stamp is None or not stamp.workbook_uid or stamp.accepted_version is None:
        return None
    with app.transaction() as session:
        version = session.scalar(
            select(WorkbookVersion)
            .join(Workbook, WorkbookVersion.workbook_id == Workbook.id)
            .where(Workbook.uid == stamp.workbook_uid, WorkbookVersion.seq == stamp.accepted_version)
        )
        stored = session.get(StoredFile, version.sha256) if version is not None else None
        if version is None or stored is None:
            return None
        try:
            stamped = write_stamp(stored.content, stamp)
        except StampError:
            return None
        if hashlib.sha256(stamped).hexdigest() != digest:
            return None
        if session.get(KnownDigest, digest) is None:
            session.add(KnownDigest(sha256=digest, version_id=version.id))
        return version.id


def tell_author(app: Salesync, job: queue.Claimed, finding: Finding) -> None:
    """A result workbook beside the file saying why it was not synced (best effort)."""
    outcome = Outcome(
        path=job.path, account=job.username or "", verdict=Verdict.REJECTED, findings=Findings([finding])
    )
    with contextlib.suppress(OSError):
        write_result_workbook(Path(job.path), outcome, lang=app.config.lang)


def _refuse(app: Salesync, log: EventLog, job: queue.Claimed, finding: Finding, *, here: bool) -> None:
    if here:
        tell_author(app, job, finding)
    queue.finish(app, job.id, JobState.REFUSED, code=finding.code, detail=finding.message(app.config.lang))
    log(
        "watch-refused",
        file=job.path,
        reason=finding.message(log.lang),
        reason_code=finding.code,
        folder=job.folder,
    )


def _account(app: Salesync, job: queue.Claimed) -> Account | None:
    """The account whose personal folder holds the file (its region must match the folder's)."""
    region = job.folder.split("/", 1)[0]
    with app.transaction() as session:
        account = session.scalar(select(Account).where(Account.username == job.username))
        if account is None or account.region is None or account.region.code != region:
            return None
        session.expunge(account)
        return account


def process(app: Salesync, log: EventLog, job: queue.Claimed, site: str | None = None) -> None:
    """Ingest one claimed job (or say why not). ``site`` is the claiming watcher's (``queue.site_of``)."""
    path = Path(job.path)
    here = job.site is None or site is None or job.site == site
    if here:
        try:
            data = read_file(path, root=drive_root_of(path, job.folder) or app.config.drive_root)
        except FileNotFoundError:
            queue.finish(app, job.id, JobState.GONE)
            return
        except NotAdmitted as refusal:
            _refuse(app, log, job, refusal.finding, here=True)
            return
        if hashlib.sha256(data).hexdigest() != job.sha256:
            queue.finish(app, job.id, JobState.SUPERSEDED, detail="file changed before it was processed")
            return
    else:
        carried = queue.carried(app, job.id)
        if carried is None or hashlib.sha256(carried).hexdigest() != job.sha256:
            queue.finish(app, job.id, JobState.GONE, detail="recorded elsewhere without its bytes")
            return
        data = carried
    if job.sha256 in blank_templates():
        queue.finish(app, job.id, JobState.SKIPPED, code="watch-blank-template")
        log("watch-blank-template", level=logging.DEBUG, file=job.path, folder=job.folder)
        return
    account = _account(app, job) if job.username else None
    if account is None:
        _refuse(app, log, job, Finding("watch-unmapped"), here=here)
        return
    kind, stamp = peek(data)
    own = own_write_back(app, job.sha256, stamp)
    if own is not None:
        queue.finish(app, job.id, JobState.DONE, version_id=own, verdict=Verdict.UNCHANGED.value)
        return
    if kind is not None and not account.may_submit(kind):
        _refuse(
            app,
            log,
            job,
            Finding("watch-not-permitted", params={"account": account.username, "kind": kind.title}),
            here=here,
        )
        return
    locked = is_open(path) if here else True  # elsewhere: the stamp waits for a watcher of its site
    outcome = app.ingest(path, account.username, data=data, write_back=None if here else False)
    queue.finish(
        app,
        job.id,
        JobState.DONE,
        version_id=outcome.version_id,
        verdict=outcome.verdict.value,
        stamp_pending=locked and outcome.verdict in ACCEPTING,
        code=None,
        detail=None,
    )
    log(
        "watch-ingested",
        level=logging.DEBUG if outcome.verdict is Verdict.UNCHANGED else logging.INFO,
        folder=job.folder,
        summary=outcome.summary(log.lang),
        file=job.path,
        verdict=outcome.verdict.value,
        version=outcome.seq,
        version_id=outcome.version_id,
        sha256=job.sha256,
    )


def _write_stamp(app: Salesync, path: Path, expected: str, stamp: Stamp, version_id: int) -> bool:
    """The stamp alone, by the one stamp writer (``sync.pipeline.writeback.stamp_file``)."""
    try:
        digest = stamp_file(path, expected, stamp)
    except (OSError, StampError):
        return False
    if digest is None:
        return False
    with app.transaction() as session:
        record_written(session, digest, version_id, stamp)
    return True


def retry_stamps(app: Salesync, log: EventLog, site: str | None = None) -> None:
    """Write the stamps that waited for Excel to close the file, now that its owner file is gone
    (only of files of this watcher's site: elsewhere the path means nothing)."""
    mine = WatchJob.site.is_(None) if site is None else (WatchJob.site.is_(None) | (WatchJob.site == site))
    with app.transaction() as session:
        waiting = session.execute(
            select(WatchJob.id, WatchJob.path).where(WatchJob.stamp_pending.is_(True), mine)
        ).all()
    for job_id, path_text in waiting:
        path = Path(path_text)
        if is_open(path):
            continue
        with app.transaction() as session:
            taken = cast(
                CursorResult[Any],
                session.execute(
                    update(WatchJob)
                    .where(WatchJob.id == job_id, WatchJob.stamp_pending.is_(True))
                    .values(stamp_pending=False)
                ),
            ).rowcount
            job = session.get_one(WatchJob, job_id)
            version = session.get(WorkbookVersion, job.version_id) if job.version_id else None
            if not taken or version is None or version.workbook is None or version.seq is None:
                continue
            if version.seq != version.workbook.accepted_seq or version.kind is None:
                continue  # a newer version was accepted since: its own stamp applies
            kind = all_kinds()[version.kind]
            at = version.seen_at.astimezone(SHANGHAI).isoformat(timespec="seconds")
            stamp = Stamp(kind.id, kind.version, version.workbook.uid, version.seq, at)
            seq, sha, version_id = version.seq, version.sha256, version.id
        if _write_stamp(app, path, sha, stamp, version_id):
            log("watch-stamp-written", file=str(path), seq=seq)


# -- in the isolated worker process ---------------------------------------------------------------------


class CollectingLog(EventLog):
    """The worker process's log: events are handed back to the watcher, which writes them."""

    def __init__(self, lang: str = "zh") -> None:
        super().__init__(lang)
        self.events: list[tuple[str, int, dict[str, Any]]] = []

    def __call__(self, event: str, *, level: int = logging.INFO, exc: bool = False, **fields: Any) -> None:
        self.events.append((event, level, fields))


def run_job(
    config: Config, job: queue.Claimed, site: str | None, lang: str
) -> list[tuple[str, int, dict[str, Any]]]:
    """``process`` in the isolated worker process; the log events it made."""
    inject_fault(Path(job.path).name)
    app = service_for(config)
    log = CollectingLog(lang)
    try:
        process(app, log, job, site)
    except DBAPIError:
        app.engine.dispose()  # a fresh connection for the next job
        raise
    return log.events


def run_here(
    app: Salesync, job: queue.Claimed, site: str | None, lang: str
) -> list[tuple[str, int, dict[str, Any]]]:
    """``process`` in the watcher's own process (``WatchSettings(isolated=False)``)."""
    log = CollectingLog(lang)
    process(app, log, job, site)
    return log.events
