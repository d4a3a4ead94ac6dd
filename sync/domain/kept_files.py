"""The retention policy of kept workbook bytes (``stored_file``): keep everything, unless told.

By default every version's bytes are kept for ever (``kept_files_days`` unset): they are the
evidence behind every figure, the base of the stale-copy merge, and the portal's "file as it was
saved". With ``kept_files_days = N`` (or ``salesync files compact --older-than N``), the bytes of
versions last seen more than N days ago are dropped — never those of a workbook's accepted version or
its latest version, nor those a reconciliation run compared — and, in the same transaction, one
work-log entry per dropped file records its digest, size and the versions that had it, so the chain
still vouches for what each accepted version was. The ``stored_file`` row stays (versions point at
it) with its ``content`` emptied; readers treat empty content as "not kept". A stale copy saved from
a version whose bytes were dropped is merged without its base (taken as saved).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update

from schema.base import now
from schema.models import ReconciliationRun, StoredFile, Workbook, WorkbookVersion
from sync.core.store import Store
from sync.domain.worklog import LogWriter

ACCEPTING = ("accepted", "partial")


@dataclass
class Compacted:
    files: int
    bytes: int
    digests: list[str]


def _protected() -> tuple[object, ...]:
    """Digests whose bytes are always kept."""
    accepted = (
        select(WorkbookVersion.sha256)
        .join(Workbook, WorkbookVersion.workbook_id == Workbook.id)
        .where(WorkbookVersion.seq == Workbook.accepted_seq)
    )
    latest_ids = select(func.max(WorkbookVersion.id)).group_by(WorkbookVersion.workbook_id)
    latest = select(WorkbookVersion.sha256).where(WorkbookVersion.id.in_(latest_ids))
    compared = select(ReconciliationRun.source_sha256).where(ReconciliationRun.source_sha256.is_not(None))
    return accepted, latest, compared


def candidates(app: Store, older_than: dt.timedelta) -> list[str]:
    """Digests whose bytes the policy would drop now."""
    cutoff = now() - older_than
    accepted, latest, compared = _protected()
    last_seen = (
        select(WorkbookVersion.sha256, func.max(WorkbookVersion.seen_at).label("seen"))
        .group_by(WorkbookVersion.sha256)
        .subquery()
    )
    with app.transaction() as session:
        return list(
            session.scalars(
                select(StoredFile.sha256)
                .join(last_seen, last_seen.c.sha256 == StoredFile.sha256)
                .where(
                    and_(
                        last_seen.c.seen < cutoff,
                        func.length(StoredFile.content) > 0,
                        StoredFile.sha256.not_in(accepted),  # type: ignore[arg-type]
                        StoredFile.sha256.not_in(latest),  # type: ignore[arg-type]
                        StoredFile.sha256.not_in(compared),  # type: ignore[arg-type]
                    )
                )
                .order_by(StoredFile.sha256)
            )
        )


def compact(app: Store, older_than: dt.timedelta) -> Compacted:
    """Drop the bytes the policy allows, each recorded in the work log first (one transaction)."""
    digests = candidates(app, older_than)
    total = 0
    if not digests:
        return Compacted(0, 0, [])
    with app.transaction() as session:
        log = LogWriter(session, account_id=None)
        for digest in digests:
            stored = session.get(StoredFile, digest)
            if stored is None:
                continue
            versions = session.execute(
                select(WorkbookVersion.id, WorkbookVersion.seq, WorkbookVersion.outcome, Workbook.uid)
                .outerjoin(Workbook, WorkbookVersion.workbook_id == Workbook.id)
                .where(WorkbookVersion.sha256 == digest)
                .order_by(WorkbookVersion.id)
            ).all()
            log.append(
                "stored_file",
                digest,
                "compact",
                detail={
                    "size": stored.size,
                    "versions": [
                        {"id": vid, "seq": seq, "outcome": outcome, "workbook": uid}
                        for vid, seq, outcome, uid in versions
                    ],
                },
            )
            total += stored.size
        session.execute(update(StoredFile).where(StoredFile.sha256.in_(digests)).values(content=b""))
    return Compacted(len(digests), total, digests)
