"""One claimed job → one ingest, or a reason it was not ingested.

The worker reads the file again and goes on only if it still has the recorded bytes (else a newer
save supersedes the job). A file outside a personal folder, or of a kind the folder's account may
not submit, is refused: it is reported (log, ``salesync status`` and a result workbook beside it)
and not ingested. A blank template is skipped. Everything else goes through ``Salesync.ingest``
with exactly the recorded bytes; when Excel holds the file open the stamp waits (``stamp_pending``)
and is written once the owner file goes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from schema.base import SHANGHAI
from schema.kinds import all_kinds
from schema.models import Account, JobState, KnownDigest, StoredFile, WatchJob, Workbook, WorkbookVersion
from sync.admission import NotAdmitted, drive_root_of, read_file
from sync.app import Salesync
from sync.feedback import is_open, replace_atomically, write_result_workbook
from sync.outcome import Outcome, Verdict
from sync.reader import peek
from sync.stamp import Stamp
from sync.stamp_write import StampError, write_stamp
from sync.templates import template_bytes
from sync.watch import queue
from sync.watch.logs import EventLog
from sync.writeback import record_written
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


def _refuse(app: Salesync, log: EventLog, job: queue.Claimed, finding: Finding) -> None:
    path = Path(job.path)
    outcome = Outcome(
        path=job.path, account=job.username or "", verdict=Verdict.REJECTED, findings=Findings([finding])
    )
    with contextlib.suppress(OSError):
        write_result_workbook(path, outcome, lang=app.config.lang)
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


def process(app: Salesync, log: EventLog, job: queue.Claimed) -> None:
    path = Path(job.path)
    try:
        data = read_file(path, root=drive_root_of(path, job.folder) or app.config.drive_root)
    except FileNotFoundError:
        queue.finish(app, job.id, JobState.GONE)
        return
    except NotAdmitted as refusal:
        _refuse(app, log, job, refusal.finding)
        return
    if hashlib.sha256(data).hexdigest() != job.sha256:
        queue.finish(app, job.id, JobState.SUPERSEDED, detail="file changed before it was processed")
        return
    if job.sha256 in blank_templates():
        queue.finish(app, job.id, JobState.SKIPPED, code="watch-blank-template")
        log("watch-blank-template", level=logging.DEBUG, file=job.path, folder=job.folder)
        return
    account = _account(app, job) if job.username else None
    if account is None:
        _refuse(app, log, job, Finding("watch-unmapped"))
        return
    kind, stamp = peek(data)
    own = own_write_back(app, job.sha256, stamp)
    if own is not None:
        queue.finish(app, job.id, JobState.DONE, version_id=own, verdict=Verdict.UNCHANGED.value)
        return
    if kind is not None and not account.role_keys & {r.value for r in kind.submit_roles}:
        _refuse(
            app,
            log,
            job,
            Finding("watch-not-permitted", params={"account": account.username, "kind": kind.title}),
        )
        return
    locked = is_open(path)
    outcome = app.ingest(path, account.username, data=data)
    queue.finish(
        app,
        job.id,
        JobState.DONE,
        version_id=outcome.version_id,
        verdict=outcome.verdict.value,
        stamp_pending=locked and outcome.verdict in ACCEPTING,
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
    """The stamp alone, as ``sync.writeback`` writes it: only into the bytes that were ingested."""

    def untouched() -> bool:
        try:
            return not is_open(path) and hashlib.sha256(path.read_bytes()).hexdigest() == expected
        except OSError:
            return False

    try:
        if not untouched():
            return False
        stamped = write_stamp(path.read_bytes(), stamp)
        if not replace_atomically(path, stamped, still_safe=untouched):
            return False
    except (OSError, StampError):
        return False
    digest = hashlib.sha256(stamped).hexdigest()
    with app.transaction() as session:
        record_written(session, digest, version_id, stamp)
    return True


def retry_stamps(app: Salesync, log: EventLog) -> None:
    """Write the stamps that waited for Excel to close the file, now that its owner file is gone."""
    with app.transaction() as session:
        waiting = session.execute(
            select(WatchJob.id, WatchJob.path).where(WatchJob.stamp_pending.is_(True))
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
