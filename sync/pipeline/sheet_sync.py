"""Registered online sheets → versions: read each due sheet, ingest it when its values changed.

    registration ─► source.fetch() ─► digest unchanged? ─► checked, nothing written
                         │                  └─ changed ─► ingest_source (one version) ─► marks back
                         └─ SourceUnavailable ─► one line on the registration, retried with backoff

Reading happens before any transaction: a sheet that cannot be read (a revoked share, quota
exhausted after the retries, the network) leaves no version and no half-written rows, only its
reason on the registration (``salesync status``, the 同步记录 page) and a later next attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from schema.base import now
from schema.models import OnlineSheet
from sync.core.store import Store
from sync.kinds import all_kinds
from sync.pipeline.ingest import ingest_source
from sync.pipeline.outcome import Outcome
from sync.sources import sheets
from sync.sources.base import SourceUnavailable
from sync.sources.gsheets import GoogleSheetSource
from sync.sources.gsheets_api import SheetsApi, connect
from sync.xlsx.stamp import Stamp

log = logging.getLogger("salesync.sheets")

Connect = Callable[[], SheetsApi]


@dataclass
class SheetResult:
    """What one sheet's attempt came to: ``synced`` (a version), ``unchanged`` or ``failed``."""

    sheet_id: int
    url: str
    account: str
    state: str
    outcome: Outcome | None = None
    error: SourceUnavailable | None = None


def default_connect(app: Store) -> Connect:
    """Connect as the configured service account (``google_service_account``)."""
    return lambda: connect(app.config.google_service_account)


def sync_sheets(
    app: Store, connect_api: Connect, *, force: bool = False, only: int | None = None
) -> list[SheetResult]:
    """Every due registered sheet (``force``: every active one; ``only``: that one), in turn."""
    with app.transaction() as session:
        ids = sheets.due(session, now(), force=force, only=only)
    if not ids:
        return []
    try:
        api = connect_api()
    except SourceUnavailable as exc:  # not installed, no key: every due sheet says so
        return [_failed(app, sheet_id, exc) for sheet_id in ids]
    return [sync_sheet(app, api, sheet_id) for sheet_id in ids]


def sync_sheet(app: Store, api: SheetsApi, sheet_id: int) -> SheetResult:
    with app.transaction() as session:
        sheet = sheets.get(session, sheet_id)
        kind = all_kinds()[sheet.kind]
        seq = sheets.accepted_seq(session, sheet)
        stamp = Stamp(kind.id, kind.version, sheet.workbook_uid, seq) if sheet.workbook_uid and seq else None
        key, url, username, known = sheet.sheet_key, sheet.url, sheet.account.username, sheet.values_digest
    source = GoogleSheetSource(api, key, kind, stamp, label=url)
    try:
        fetched = source.fetch()
    except SourceUnavailable as exc:
        return _failed(app, sheet_id, exc)
    if source.digest == known:
        with app.transaction() as session:
            sheets.record_read(sheets.get(session, sheet_id), now(), title=source.title, digest=None)
        return SheetResult(sheet_id, url, username, "unchanged")
    outcome = ingest_source(app, source, username, write_back=app.config.write_back, fetched=fetched)
    with app.transaction() as session:
        sheet = sheets.get(session, sheet_id)
        # marks that could not be written: the values are read again next time, and marked then
        digest = None if source.write_back_error else source.digest
        sheets.record_read(
            sheet,
            now(),
            title=source.title,
            digest=digest,
            version_id=outcome.version_id,
            workbook_uid=outcome.workbook_uid,
        )
        if source.write_back_error is not None:
            sheets.record_failure(sheet, source.write_back_error, now())
    log.info("online sheet %s as %s: %s", url, username, outcome.verdict.value)
    return SheetResult(sheet_id, url, username, "synced", outcome, source.write_back_error)


def _failed(app: Store, sheet_id: int, exc: SourceUnavailable) -> SheetResult:
    with app.transaction() as session:
        sheet: OnlineSheet = sheets.get(session, sheet_id)
        sheets.record_failure(sheet, exc, now())
        url, username = sheet.url, sheet.account.username
    log.warning("online sheet %s could not be read: %s", url, exc)
    return SheetResult(sheet_id, url, username, "failed", error=exc)
