"""After a version is committed: the stamp (and marks) inside the file, then the result workbook beside it.

The stamp goes in only when no office suite holds the file and the file still has the bytes that
were ingested, and then by an atomic compare-and-swap, so a newer save is never overwritten; every
file salesync writes back is recorded as a known digest of the version.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from schema.models import KnownDigest, Workbook
from sync.core.store import Store
from sync.pipeline.feedback import annotate_workbook, is_open, write_result_workbook
from sync.pipeline.outcome import Outcome
from sync.xlsx.patch import Unsupported
from sync.xlsx.stamp import Stamp
from sync.xlsx.stamp_write import StampError, write_stamp
from sync.xlsx.swap import observe, swap_if_unchanged
from validators.findings import Finding, Severity

log = logging.getLogger("salesync.writeback")


def stamp_file(path: Path, expected_sha256: str, stamp: Stamp) -> str | None:
    """Write ``stamp`` into the workbook at ``path`` — the one place a stamp goes into a user's file.

    Only the hidden stamp sheet's part changes (``write_stamp``), and only while no office suite
    has the file open and it still holds exactly the bytes ``expected_sha256`` names; the file is
    swapped in atomically (``sync.xlsx.swap``), so a newer save is never replaced. Returns the SHA-256
    of the bytes written, or None when nothing was written.
    """
    if is_open(path):
        return None
    seen = observe(path)
    if seen is None or seen.state.sha256 != expected_sha256:
        return None
    stamped = write_stamp(seen.data, stamp)
    if swap_if_unchanged(path, stamped, seen.state, still_safe=lambda: not is_open(path)):
        return hashlib.sha256(stamped).hexdigest()
    return None


def write_back(
    app: Store, path: Path, data: bytes, outcome: Outcome, stamp: Stamp | None, *, annotate: bool
) -> str | None:
    """Write the stamp (and marks) into the file, then the result workbook beside it.

    Returns the digest of the workbook as rewritten, if it was. When the workbook holds something
    the part editor cannot handle safely, nothing goes into it and the result workbook says why.
    """
    digest: str | None = None
    expected = outcome.sha256
    if (stamp is not None or annotate) and expected is not None and not is_open(path):
        try:
            if annotate:
                digest = annotate_workbook(path, outcome, expected_sha256=expected, stamp=stamp)
            elif stamp is not None:
                digest = stamp_file(path, expected, stamp)
        except Unsupported as exc:
            log.warning("not writing into %s: %s", path, exc)
            outcome.findings.append(
                Finding("writeback-unsupported", params={"reason": exc.detail}, severity=Severity.WARNING)
            )
        except (OSError, StampError) as exc:
            log.warning("could not write back into %s: %s", path, exc)
    try:
        write_result_workbook(path, outcome, lang=app.config.lang)
    except OSError as exc:
        log.warning("could not write the result workbook for %s: %s", path, exc)
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
