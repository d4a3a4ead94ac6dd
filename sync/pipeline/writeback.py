"""After a version is committed: the result workbook beside the file, then the stamp (and marks) inside it.

The stamp goes in only when no office suite holds the file and the file still has the bytes that
were ingested; every file salesync writes back is recorded as a known digest of the version.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from schema.models import KnownDigest, Workbook
from sync.core.store import Store
from sync.pipeline.feedback import annotate_workbook, is_open, replace_atomically, write_result_workbook
from sync.pipeline.outcome import Outcome
from sync.xlsx.stamp import Stamp
from sync.xlsx.stamp_write import StampError, write_stamp

log = logging.getLogger("salesync.writeback")


def _digest_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def write_back(
    app: Store, path: Path, data: bytes, outcome: Outcome, stamp: Stamp | None, *, annotate: bool
) -> str | None:
    """Write feedback and stamp; returns the digest of the workbook as rewritten, if it was."""
    try:
        write_result_workbook(path, outcome, lang=app.config.lang)
    except OSError as exc:
        log.warning("could not write the result workbook for %s: %s", path, exc)
    if (stamp is None and not annotate) or is_open(path) or outcome.sha256 is None:
        return None
    digest: str | None = None
    try:
        if annotate:
            digest = annotate_workbook(path, outcome, expected_sha256=outcome.sha256, stamp=stamp)
        elif stamp is not None:
            stamped = write_stamp(data, stamp)
            expected = outcome.sha256

            def untouched() -> bool:
                return not is_open(path) and _digest_of(path) == expected

            if untouched() and replace_atomically(path, stamped, still_safe=untouched):
                digest = hashlib.sha256(stamped).hexdigest()
    except (OSError, StampError) as exc:
        log.warning("could not write back into %s: %s", path, exc)
        return None
    if digest is not None and outcome.version_id is not None:
        with app.transaction() as session:
            record_written(session, digest, outcome.version_id, stamp)
    return digest


def record_written(session: Session, digest: str, version_id: int, stamp: Stamp | None) -> None:
    """What salesync wrote into a workbook: its bytes are a known digest of the version (not a new
    save), and the stamp it carries has reached the workbook's file."""
    if session.get(KnownDigest, digest) is None:
        session.add(KnownDigest(sha256=digest, version_id=version_id))
    if stamp is not None and stamp.workbook_uid and stamp.accepted_version:
        session.execute(
            update(Workbook)
            .where(Workbook.uid == stamp.workbook_uid, Workbook.stamped_seq < stamp.accepted_version)
            .values(stamped_seq=stamp.accepted_version)
        )
