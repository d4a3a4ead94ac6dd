"""Checkpoints of the work log's head, kept outside the database: proof that nothing was cut off.

The keyed hash chain (``sync.domain.worklog``) shows any entry altered, but whoever can write the database
can also delete every entry and the head, or put back an older head after deleting what followed:
what is left is a valid, shorter chain. So after every commit that appended to the log, the head
(its count and hash, sealed with the work-log key) is appended as one JSON line to
``<data_dir>/worklog.anchors`` — opened append-only, mode 600, on the application host, which the
database's users cannot reach. :func:`verify` checks the chain, then that the database still holds
the entry the latest checkpoint names with the same hash, and that the append-only trigger is still
in place and enabled; each failure is named.

Several processes (watcher, portal, CLI) may append at once: a line is one ``write`` of less than a
page on a file opened ``O_APPEND``, so lines never interleave; the latest checkpoint is the one with
the highest count, whatever the order of the lines.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import WorkLogEntry, WorkLogHead
from sync.domain.worklog import HEAD_ID, ChainReport, seal, session_key
from sync.domain.worklog import verify as verify_chain

ANCHOR_FILE = "worklog.anchors"
#: the triggers that keep the work log append-only (revision 0003), by database
TRIGGERS = {
    "sqlite": ("work_log_no_update", "work_log_no_delete"),
    "postgresql": ("work_log_append_only",),
}


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str


def _anchor_seal(key: bytes, seq: int, head_hash: str, at: str) -> str:
    return seal(key, "anchor", seq, head_hash, at)


def append_anchor(path: Path, key: bytes, seq: int, head_hash: str) -> None:
    """Append one sealed checkpoint line (created mode 600, append-only, flushed to disk)."""
    at = now().isoformat()
    line = json.dumps(
        {"seq": seq, "hash": head_hash, "at": at, "seal": _anchor_seal(key, seq, head_hash, at)},
        separators=(",", ":"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_anchors(path: Path, key: bytes) -> tuple[list[Anchor], int | None]:
    """The checkpoints whose seal holds, and the line number of the first one that does not."""
    if not path.exists():
        return [], None
    found, bad = [], None
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            anchor = Anchor(int(item["seq"]), str(item["hash"]), str(item["at"]))
            ok = item.get("seal") == _anchor_seal(key, anchor.seq, anchor.hash, anchor.at)
        except (ValueError, KeyError, TypeError):
            ok = False
        if ok:
            found.append(anchor)
        elif bad is None:
            bad = number
    return found, bad


def after_commit(session: Session) -> None:
    """The session hook (``sync.app``): anchor the head a committed transaction moved."""
    head = session.info.pop("log_head", None)
    path = session.info.get("anchor_file")
    if head is None or path is None:
        return
    append_anchor(Path(path), session_key(session), head.seq, head.hash)


def after_rollback(session: Session) -> None:
    session.info.pop("log_head", None)


def missing_triggers(session: Session) -> list[str]:
    """The append-only triggers that are gone or disabled."""
    dialect = session.get_bind().dialect.name
    wanted = TRIGGERS.get(dialect, ())
    if dialect == "sqlite":
        rows = session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        present = {r[0] for r in rows}
    elif dialect == "postgresql":
        rows = session.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'")
        )
        present = {r[0] for r in rows}
    else:
        return []
    return [t for t in wanted if t not in present]


def verify(session: Session, anchor_file: Path | None = None) -> ChainReport:
    """The whole check: the chain (``sync.domain.worklog.verify``), the latest checkpoint, the trigger."""
    report = verify_chain(session)
    if not report.ok:
        return report
    path = anchor_file or session.info.get("anchor_file")
    anchors, bad_line = read_anchors(Path(path), session_key(session)) if path else ([], None)
    if bad_line is not None:
        return replace(report, problem="log-anchor-forged", params={"line": bad_line})
    if anchors:
        latest = max(anchors, key=lambda a: a.seq)
        entry = session.query(WorkLogEntry).filter(WorkLogEntry.seq == latest.seq).first()
        head = session.get(WorkLogHead, HEAD_ID)
        if entry is None or entry.hash != latest.hash or head is None or head.seq < latest.seq:
            return replace(
                report,
                problem="log-anchor-missing",
                expected=latest.seq,
                params={"anchored_at": _shanghai(latest.at), "expected": latest.seq},
            )
    gone = missing_triggers(session)
    if gone:
        return replace(report, problem="log-trigger-missing", params={"triggers": "、".join(gone)})
    return replace(report, params={"anchors": len(anchors)})


def _shanghai(at: str) -> str:
    try:
        return dt.datetime.fromisoformat(at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


def report_dict(report: ChainReport, lang: str = "zh") -> dict[str, Any]:
    return {**report.as_dict(lang), **{k: v for k, v in report.params.items() if k != "expected"}}
