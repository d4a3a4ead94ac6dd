"""The append-only work log: every applied change, chained to its predecessor by SHA-256.

``hash = sha256(prev_hash + canonical JSON of the entry)``; altering, inserting or deleting any
entry breaks every hash after it, which ``verify`` reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import WorkLogEntry

GENESIS = "0" * 64


def _digest(
    prev: str,
    at: dt.datetime,
    account_id: int | None,
    entity: str,
    key: str,
    op: str,
    changes: str,
    version_id: int | None,
    change_set_id: int | None,
) -> str:
    body = json.dumps(
        [at.astimezone(dt.UTC).isoformat(), account_id, entity, key, op, changes, version_id, change_set_id],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev + body).encode()).hexdigest()


@dataclass
class LogWriter:
    """Appends entries within the caller's transaction (locking the chain's tail on PostgreSQL)."""

    session: Session
    account_id: int | None
    version_id: int | None = None
    change_set_id: int | None = None

    def __post_init__(self) -> None:
        tail = self.session.execute(
            select(WorkLogEntry.hash).order_by(WorkLogEntry.id.desc()).limit(1).with_for_update()
        ).scalar()
        self._prev = tail or GENESIS
        self._at = now()

    def append(self, entity: str, key: str, op: str, changes: dict[str, Any]) -> None:
        text = json.dumps(changes, ensure_ascii=False, sort_keys=True, default=str)
        digest = _digest(
            self._prev, self._at, self.account_id, entity, key, op, text, self.version_id, self.change_set_id
        )
        self.session.add(
            WorkLogEntry(
                at=self._at,
                account_id=self.account_id,
                entity=entity,
                key=key,
                op=op,
                changes=text,
                version_id=self.version_id,
                change_set_id=self.change_set_id,
                prev_hash=self._prev,
                hash=digest,
            )
        )
        self._prev = digest


def verify(session: Session) -> list[int]:
    """Ids of entries whose chain does not hold (empty when the log is intact)."""
    broken: list[int] = []
    prev = GENESIS
    for entry in session.scalars(select(WorkLogEntry).order_by(WorkLogEntry.id)):
        expected = _digest(
            prev,
            entry.at,
            entry.account_id,
            entry.entity,
            entry.key,
            entry.op,
            entry.changes,
            entry.version_id,
            entry.change_set_id,
        )
        if entry.prev_hash != prev or entry.hash != expected:
            broken.append(entry.id)
        prev = entry.hash
    return broken
