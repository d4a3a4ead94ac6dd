"""One saved workbook → one version, applied in one transaction or not at all.

    source ─► bytes ─► safety + reader ─► typed frames + findings (validators) ─► sync plan ─► commit
                                                                                             └► feedback, stamp

The source (sync.sources.base) is the seam: a file on the drive (sync.pipeline.file_source) or an
online sheet gives the bytes, the frames and the write-back; nothing here knows which.

The version row, the kept bytes, the findings and every row the plan writes share a transaction.
Feedback files and the stamp are written after the commit; what salesync writes back is recorded
as a known digest of the version, so seeing those bytes again is a no-op.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import Account, KnownDigest, StoredFile, VersionFinding, Workbook, WorkbookVersion
from schema.spec import WorkbookKind
from sync.core import staging
from sync.core.rows import INSERT_CHUNK, BulkInsert
from sync.core.store import Store
from sync.domain.accounts import get_account
from sync.domain.finding_words import params_json
from sync.domain.lookups import DatabaseLookups
from sync.pipeline import notices as notify_events
from sync.pipeline import settled
from sync.pipeline.file_source import FileSource
from sync.pipeline.outcome import Outcome, RowStatus, Verdict
from sync.pipeline.progress import Progress, quiet
from sync.plans import get_plan
from sync.plans.context import IngestContext
from sync.sources.base import Fetched, Source
from sync.xlsx.reader import RawWorkbook, read_workbook
from sync.xlsx.stamp import Stamp
from validators.findings import Finding, FindingRun, Findings, Severity, cached_message
from validators.frames import Prepared, prepare

log = logging.getLogger("salesync.ingest")

#: In-workbook status marks are written with openpyxl; past this size only the result workbook is.
ANNOTATE_MAX_ROWS = 20_000
ACCEPTING = (Verdict.ACCEPTED, Verdict.PARTIAL)


@dataclass
class Pending:
    """What to write back once the version is committed."""

    stamp: Stamp | None
    annotate: bool


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _previous(session: Session, digest: str, account: Account) -> WorkbookVersion | None:
    """The accepted version these exact bytes already are (as saved, or as salesync wrote them back)
    for this account: a byte copy of another account's workbook is a save of the copier's own."""
    known = session.get(KnownDigest, digest)
    if known is not None:
        version = session.get(WorkbookVersion, known.version_id)
        if version is not None and version.account_id == account.id:
            return version
    return session.scalar(
        select(WorkbookVersion)
        .where(
            WorkbookVersion.sha256 == digest,
            WorkbookVersion.account_id == account.id,
            WorkbookVersion.outcome.in_([v.value for v in ACCEPTING]),
        )
        .order_by(WorkbookVersion.id.desc())
        .limit(1)
    )


def _store(session: Session, digest: str, data: bytes) -> None:
    if session.get(StoredFile, digest) is None:
        session.add(StoredFile(sha256=digest, size=len(data), content=data))


def _prepare_book(raw: RawWorkbook, frames: dict[str, pd.DataFrame] | None = None) -> dict[str, Prepared]:
    """Type and check every sheet (or, with ``frames``, the rows picked from each)."""
    return {
        entity: prepare(sheet.spec, sheet.frame if frames is None else frames[entity])
        for entity, sheet in raw.sheets.items()
    }


def _selection(
    session: Session,
    kind: WorkbookKind,
    account: Account,
    workbook: Workbook,
    base_seq: int | None,
    raw: RawWorkbook,
) -> settled.Selection | None:
    """The rows of a re-saved workbook that differ from the version its stamp names (sync.pipeline.settled)."""
    if not settled.settle_by(kind) or not base_seq:
        return None
    found = settled.load(session, workbook.id, base_seq)
    if not found:
        return None
    base_id, digests = found
    frames = {entity: sheet.frame for entity, sheet in raw.sheets.items()}
    return settled.select_changed(kind, frames, digests, settled.moved_away(session, account.id, base_id))


def _validate(kind: WorkbookKind, book: dict[str, Prepared], lookups: DatabaseLookups) -> list[Finding]:
    findings = [f for prepared in book.values() for f in prepared.findings]
    for rule in kind.rules:
        findings.extend(rule(book, lookups))
    return findings


def _bad_rows(findings: Iterable[Finding]) -> dict[str, set[int]]:
    if not isinstance(findings, Findings):
        findings = Findings(findings)
    return findings.rows_by_sheet(severity=Severity.ERROR)


def _accepted_only(book: dict[str, Prepared], bad: dict[str, set[int]]) -> dict[str, Prepared]:
    out = {}
    for entity, prepared in book.items():
        rows = bad.get(prepared.sheet.name)
        if rows:
            keep = ~prepared.frame.index.isin(list(rows))
            out[entity] = Prepared(prepared.sheet, prepared.frame[keep], prepared.raw[keep], [])
        else:
            out[entity] = Prepared(prepared.sheet, prepared.frame, prepared.raw, [])
    return out


def _resolve_workbook(
    session: Session, stamp: Stamp | None, kind: WorkbookKind, account: Account, path: Path
) -> tuple[Workbook, int | None]:
    """The workbook this file is a version of, and the accepted version its stamp says it was saved from.

    A stamped file at its workbook's place (or moved, its old place now empty) continues that workbook.
    A copy of a stamped workbook — elsewhere while the original still exists, or by another account —
    starts a new workbook of its own. A file without a stamp continues its author's workbook at the
    same place only while that workbook's last accepted stamp has not been written into the file.
    """
    if stamp is not None and stamp.workbook_uid:
        workbook = session.scalar(
            select(Workbook).where(Workbook.uid == stamp.workbook_uid).with_for_update()
        )
        if (
            workbook is not None
            and workbook.account_id == account.id
            and workbook.kind == kind.id
            and (workbook.path == str(path) or not Path(workbook.path).exists())
        ):
            workbook.path = str(path)
            return workbook, stamp.accepted_version
    else:
        # No stamp: saved again while Excel held the file, so the stamp of its last accepted
        # version could not be written in yet. The same author's workbook at this place, whose
        # stamp has not reached the file, is the one being continued.
        workbook = session.scalar(
            select(Workbook)
            .where(
                Workbook.path == str(path),
                Workbook.account_id == account.id,
                Workbook.kind == kind.id,
                Workbook.accepted_seq > 0,
                Workbook.stamped_seq < Workbook.accepted_seq,
            )
            .order_by(Workbook.id.desc())
            .limit(1)
            .with_for_update()
        )
        if workbook is not None:
            return workbook, workbook.accepted_seq
    workbook = Workbook(
        uid=str(uuid.uuid4()), kind=kind.id, account_id=account.id, path=str(path), accepted_seq=0
    )
    session.add(workbook)
    session.flush()
    return workbook, None


def _base_book(session: Session, workbook: Workbook, base_seq: int) -> dict[str, Prepared] | None:
    """The rows of the accepted version a stale copy was saved from, read again from its kept bytes."""
    version = session.scalar(
        select(WorkbookVersion).where(
            WorkbookVersion.workbook_id == workbook.id, WorkbookVersion.seq == base_seq
        )
    )
    if version is None:
        return None
    stored = session.get(StoredFile, version.sha256)
    if stored is None or not stored.content:  # empty: its bytes were compacted (sync.domain.kept_files)
        return None
    raw = read_workbook(stored.content)
    book = _prepare_book(raw)
    return _accepted_only(book, _bad_rows([f for p in book.values() for f in p.findings]))


def _row_statuses(raw: RawWorkbook, findings: Findings, seq: int | None) -> list[RowStatus]:
    notes: dict[tuple[str, int], list[str]] = {}
    for f in findings.where(severity=Severity.ERROR):
        if f.row is not None and f.sheet is not None:
            notes.setdefault((f.sheet, f.row), []).append(f.message())
    ok_note = f"已同步 v{seq}" if seq else ""
    statuses = []
    for sheet in raw.sheets.values():
        for row in sheet.frame.index:
            key = (sheet.spec.name, int(row))
            statuses.append(
                RowStatus(key[0], key[1], key not in notes, "；".join(notes.get(key, [])) or ok_note)
            )
    return statuses


_FINDING_SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("severity", pa.string()),
        ("sheet", pa.string()),
        ("row", pa.int64()),
        ("header", pa.string()),
        ("value", pa.string()),
        ("message", pa.string()),
        ("params", pa.string()),  # JSON text: the message's parameters (sync.domain.finding_words)
    ]
)


def _finding_columns(
    findings: list[Finding], rendered: dict[tuple[Any, ...], str], size: int
) -> Iterator[dict[str, list[Any]]]:
    """The version_finding columns of ``size`` findings at a time (``version_id`` aside)."""
    for start in range(0, len(findings), size):  # a version may carry 100k warnings
        part = findings[start : start + size]
        columns: dict[str, list[Any]] = {
            key: list(map(attrgetter(key), part)) for key in ("code", "sheet", "row", "header", "value")
        }
        columns["severity"] = [f.severity.value for f in part]
        columns["message"] = [cached_message(f, rendered) for f in part]
        texts: dict[int, str] = {}  # findings made together share one params dict
        columns["params"] = [
            texts.get(id(f.params)) or texts.setdefault(id(f.params), params_json(f.params)) for f in part
        ]
        yield columns


def _finish(session: Session, version: WorkbookVersion, outcome: Outcome) -> None:
    version.outcome = outcome.verdict.value
    version.rows_total = outcome.rows_total
    version.rows_accepted = outcome.rows_accepted
    version.rows_rejected = outcome.rows_rejected
    version.rows_written = outcome.rows_written
    version.collisions = len(outcome.collisions)
    version.conflicts = len(outcome.conflicts)
    version.summary = outcome.summary()
    rendered: dict[tuple[Any, ...], str] = {}
    findings = outcome.findings.single
    dialect = session.get_bind().dialect
    if staging.stages(dialect.name, dialect.driver, len(outcome.findings)):
        singles = (
            pa.record_batch([pa.array(c[f.name], f.type) for f in _FINDING_SCHEMA], schema=_FINDING_SCHEMA)
            for c in _finding_columns(findings, rendered, INSERT_CHUNK * 4)
        )
        runs = (batch for run in outcome.findings.runs for batch in _run_batches(run))
        stream = pa.RecordBatchReader.from_batches(_FINDING_SCHEMA, chain(singles, runs))
        if staging.insert_staged(session, VersionFinding.__table__, stream, {"version_id": version.id}):
            return
    bulk = BulkInsert(session, VersionFinding.__table__, ["version_id", *_FINDING_SCHEMA.names])
    for columns in _finding_columns(findings, rendered, INSERT_CHUNK):
        bulk.execute({"version_id": [version.id] * len(columns["code"]), **columns}, processed=["params"])
    for run in outcome.findings.runs:
        for batch in _run_batches(run, INSERT_CHUNK):
            columns = batch.to_pydict()
            bulk.execute({"version_id": [version.id] * batch.num_rows, **columns}, processed=["params"])


def _run_batches(run: FindingRun, size: int = INSERT_CHUNK * 4) -> Iterator[pa.RecordBatch]:
    """A run's version_finding columns (``version_id`` aside), made ``size`` rows at a time."""
    constant = {"code": run.code, "severity": run.severity.value, "sheet": run.sheet, "header": run.header}
    words = run.messages_by_value()
    params = pa.array([params_json(p) for p in run.params], pa.string())
    for start in range(0, len(run), size):
        values = run.values.slice(start, size)
        columns = {
            **{
                name: pa.repeat(pa.scalar(value, pa.string()), len(values))
                for name, value in constant.items()
            },
            "row": run.rows.slice(start, size).cast(pa.int64()),
            "value": values.cast(pa.string()),
            "message": words.take(values.indices),
            "params": params.take(values.indices),
        }
        yield pa.record_batch([columns[name] for name in _FINDING_SCHEMA.names], schema=_FINDING_SCHEMA)


def _ingest(
    session: Session,
    account: Account,
    source: Source,
    fetched: Fetched,
    allow_removals: bool,
    hold: tuple[float, int],
    step: Progress = quiet,
) -> tuple[Outcome, Pending]:
    path, data, digest = Path(source.location), fetched.data, fetched.digest
    seen = now()
    _store(session, digest, data)
    version = WorkbookVersion(
        sha256=digest, path=str(path), account_id=account.id, seen_at=seen, outcome="rejected"
    )
    session.add(version)
    session.flush()
    outcome = Outcome(
        path=str(path),
        account=account.username,
        verdict=Verdict.REJECTED,
        sha256=digest,
        version_id=version.id,
        seen_at=seen,
    )
    pending = Pending(None, False)
    findings = Findings()
    if not account.active:
        findings.append(Finding("account-disabled", params={"account": account.username}))
    step("read")
    raw = source.read(fetched)
    findings += raw.findings
    kind = raw.kind
    if kind is not None:
        version.kind, version.template_version = kind.id, raw.stamp.template_version if raw.stamp else None
        outcome.kind = kind.id
        if not account.may_submit(kind):
            findings.append(
                Finding("not-permitted", params={"account": account.username, "kind": kind.title})
            )
    if kind is None or any(f.structural for f in findings):
        outcome.findings = findings
        _finish(session, version, outcome)
        return outcome, pending

    workbook, base_seq = _resolve_workbook(session, raw.stamp, kind, account, path)
    version.workbook_id = workbook.id
    version.based_on_seq = base_seq
    outcome.workbook_uid, outcome.based_on_seq = workbook.uid, base_seq
    step("check")
    selection = _selection(session, kind, account, workbook, base_seq, raw)
    if selection is None:
        book = _prepare_book(raw)
    else:
        book = _prepare_book(raw, {e: s.frame[selection.keep[e]] for e, s in raw.sheets.items()})
        outcome.rows_unchanged = selection.skipped
        outcome.unchanged_rows = {
            s.spec.name: {int(r) for r in s.frame.index[~selection.keep[e]]} for e, s in raw.sheets.items()
        }
    findings += _validate(kind, book, DatabaseLookups(session, account.id))
    outcome.rows_total = sum(len(sheet.frame) for sheet in raw.sheets.values())
    bad = _bad_rows(findings)

    held = False
    if not (kind.atomic and bad):
        stale = base_seq is not None and base_seq < workbook.accepted_seq
        ctx = IngestContext(
            session=session,
            account=account,
            kind=kind,
            version=version,
            workbook=workbook,
            book=_accepted_only(book, bad),
            base=_base_book(session, workbook, base_seq) if stale and base_seq else None,
            allow_removals=allow_removals,
            hold_ratio=hold[0],
            hold_minimum=hold[1],
        )
        step("write")
        result = get_plan(kind.plan)(ctx)
        findings += result.findings
        outcome.rows_written, outcome.change_set_id, held = (
            result.rows_written,
            result.change_set_id,
            result.held,
        )
        outcome.reconciliation_run_id = result.reconciliation_run_id
        bad = _bad_rows(findings)

    rejected = sum(len(rows) for rows in bad.values())
    outcome.findings = findings
    if held:
        outcome.verdict = Verdict.HELD
    elif kind.atomic and bad:
        outcome.verdict = Verdict.REJECTED
        rejected = outcome.rows_total if kind.atomic else rejected
    elif rejected and rejected >= outcome.rows_total:
        outcome.verdict = Verdict.REJECTED
    else:
        outcome.verdict = Verdict.PARTIAL if rejected else Verdict.ACCEPTED
    outcome.rows_rejected = rejected
    outcome.rows_accepted = (
        0 if outcome.verdict in (Verdict.REJECTED, Verdict.HELD) else outcome.rows_total - rejected
    )

    if outcome.verdict in ACCEPTING:
        workbook.accepted_seq += 1
        version.seq = outcome.seq = workbook.accepted_seq
        accepted_at = seen.astimezone(SHANGHAI).isoformat(timespec="seconds")
        pending.stamp = Stamp(kind.id, kind.version, workbook.uid, workbook.accepted_seq, accepted_at)
        if settled.settle_by(kind):
            typed = {entity: prepared.frame for entity, prepared in book.items()}
            settled.record(session, version, kind, raw.sheets, typed, findings, selection)
    has_row_findings = any(f.row is not None for f in findings)
    pending.annotate = has_row_findings and outcome.rows_total <= ANNOTATE_MAX_ROWS
    stale_marks = any(s.has_status_column for s in raw.sheets.values())
    if pending.annotate or (pending.stamp is not None and stale_marks):
        outcome.rows = _row_statuses(raw, findings, outcome.seq)
        pending.annotate = outcome.rows_total <= ANNOTATE_MAX_ROWS
    _finish(session, version, outcome)
    return outcome, pending


def _unchanged(path: Path, account: Account, digest: str, previous: WorkbookVersion) -> Outcome:
    return Outcome(
        path=str(path),
        account=account.username,
        verdict=Verdict.UNCHANGED,
        kind=previous.kind,
        sha256=digest,
        version_id=previous.id,
        workbook_uid=previous.workbook.uid if previous.workbook else None,
        seq=previous.seq,
        based_on_seq=previous.based_on_seq,
        seen_at=previous.seen_at,
        rows_total=previous.rows_total,
        rows_accepted=previous.rows_accepted,
        rows_rejected=previous.rows_rejected,
    )


def ingest_file(
    app: Store,
    path: Path,
    username: str,
    *,
    allow_removals: bool = False,
    write_back: bool = True,
    data: bytes | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Ingest one saved workbook as ``username``. Bad input yields an outcome, never an exception.

    ``data``, when given, is the file's content as already read (the watcher hashes a stable file
    once and ingests exactly those bytes); otherwise the file is read here.
    """
    source = FileSource(path.resolve(), data, app.config.lang)
    return ingest_source(
        app, source, username, allow_removals=allow_removals, write_back=write_back, progress=progress
    )


def ingest_source(
    app: Store,
    source: Source,
    username: str,
    *,
    allow_removals: bool = False,
    write_back: bool = True,
    progress: Progress | None = None,
    fetched: Fetched | None = None,
) -> Outcome:
    """Ingest what ``source`` holds now as ``username`` (``fetched``: already fetched by the caller).

    Content seen before (its digest a version's, or what salesync wrote back) is unchanged; else one
    version in one transaction, then the source's write-back.
    """
    if fetched is None:
        fetched = source.fetch()
    path = Path(source.location)
    hold = (app.config.removal_hold_ratio, app.config.removal_hold_minimum)
    with app.transaction() as session:
        account = get_account(session, username)
        previous = _previous(session, fetched.digest, account)
        if previous is not None:
            return _unchanged(path, account, fetched.digest, previous)
        step = progress or quiet
        outcome, pending = _ingest(session, account, source, fetched, allow_removals, hold, step)
        notify_events.after_ingest(session, outcome)  # messages into the outbox, committed with the version
        step("commit")
    log.info("ingested %s as %s: %s", path, username, outcome.verdict.value)
    if write_back:
        step("feedback")
        source.write_back(app, fetched, outcome, pending.stamp, annotate=pending.annotate)
    return outcome
