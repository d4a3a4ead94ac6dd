"""Registered online sheets: which account enters which kind through which sheet, and how each
last attempt went. Database operations only — no network here (the portal and ``salesync sheets``
register without the Google client installed).

A sheet that could not be read is retried with exponential backoff: the n-th failure in a row waits
``RETRY_BASE · 2ⁿ⁻¹`` (at most ``RETRY_MAX``) before the schedule tries it again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import Account, OnlineSheet, Workbook
from sync.core.errors import Refused
from sync.domain.accounts import get_account
from sync.domain.worklog import LogWriter
from sync.kinds import all_kinds
from sync.sources.base import SourceUnavailable

RETRY_BASE = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(hours=6)
_GOOGLE_URL = re.compile(r"https://docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]{20,})")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]{20,}")


class SheetRefused(Refused):
    """在线表格操作未执行："""


def parse_key(url: str) -> str:
    """The spreadsheet id in a Google Sheets link (or a bare id)."""
    text = url.strip()
    found = _GOOGLE_URL.match(text)
    if found:
        return found.group(1)
    if _BARE_KEY.fullmatch(text):
        return text
    raise SheetRefused("sheet-url-invalid", url=text)


def register(
    session: Session, url: str, username: str, kind_id: str, *, by: Account | None = None
) -> OnlineSheet:
    """Register the sheet at ``url`` as ``kind_id`` entered by ``username`` (``by``: the admin, or
    None from the command line); in the work log."""
    key = parse_key(url)
    kinds = all_kinds()
    if kind_id not in kinds:
        raise SheetRefused("sheet-kind-unknown", kind=kind_id)
    account = get_account(session, username)
    existing = session.scalar(select(OnlineSheet).where(OnlineSheet.sheet_key == key))
    if existing is not None:
        if existing.active:
            raise SheetRefused("sheet-registered", account=existing.account.username, kind=existing.kind)
        session.delete(existing)  # a sheet registered again starts afresh
        session.flush()
    sheet = OnlineSheet(
        provider="gsheets",
        sheet_key=key,
        url=f"https://docs.google.com/spreadsheets/d/{key}",
        account_id=account.id,
        kind=kind_id,
        active=True,
        failures=0,
    )
    session.add(sheet)
    session.flush()
    detail = {"account": username, "kind": kind_id, "url": sheet.url}
    LogWriter(session, by.id if by else None).append("online_sheet", key, "register", detail=detail)
    return sheet


def get(session: Session, sheet_id: int) -> OnlineSheet:
    sheet = session.get(OnlineSheet, sheet_id)
    if sheet is None:
        raise SheetRefused("sheet-unknown", id=sheet_id)
    return sheet


def unregister(session: Session, sheet_id: int, *, by: Account | None = None) -> OnlineSheet:
    """Stop syncing a sheet; its versions stay. In the work log."""
    sheet = get(session, sheet_id)
    if sheet.active:
        sheet.active = False
        LogWriter(session, by.id if by else None).append("online_sheet", sheet.sheet_key, "unregister")
    return sheet


def due(session: Session, at: dt.datetime, *, force: bool = False, only: int | None = None) -> list[int]:
    """The active sheets whose next attempt is due at ``at`` (all of them with ``force``)."""
    stmt = select(OnlineSheet.id).where(OnlineSheet.active.is_(True)).order_by(OnlineSheet.id)
    if only is not None:
        stmt = stmt.where(OnlineSheet.id == only)
    if not force:
        stmt = stmt.where((OnlineSheet.next_attempt_at.is_(None)) | (OnlineSheet.next_attempt_at <= at))
    return list(session.scalars(stmt))


def accepted_seq(session: Session, sheet: OnlineSheet) -> int | None:
    """The accepted version the sheet's workbook is at (what its snapshot's stamp names)."""
    if sheet.workbook_uid is None:
        return None
    workbook = session.scalar(select(Workbook).where(Workbook.uid == sheet.workbook_uid))
    return workbook.accepted_seq if workbook is not None and workbook.accepted_seq else None


def record_failure(sheet: OnlineSheet, error: SourceUnavailable, at: dt.datetime) -> None:
    """The attempt failed: say why, and wait longer before the next one."""
    sheet.failures = (sheet.failures or 0) + 1
    sheet.error_code, sheet.error_detail, sheet.error_at = error.code, str(error), at
    sheet.last_checked_at = at
    sheet.next_attempt_at = at + min(RETRY_BASE * 2 ** (sheet.failures - 1), RETRY_MAX)


def record_read(
    sheet: OnlineSheet,
    at: dt.datetime,
    *,
    title: str | None,
    digest: str | None,
    version_id: int | None = None,
    workbook_uid: str | None = None,
) -> None:
    """The sheet was read (and ingested, when ``version_id``): errors cleared, the schedule reset."""
    sheet.failures, sheet.error_code, sheet.error_detail, sheet.error_at = 0, None, None, None
    sheet.last_checked_at, sheet.next_attempt_at = at, None
    sheet.title = title or sheet.title
    if digest is not None:
        sheet.values_digest = digest
    if version_id is not None:
        sheet.last_version_id = version_id
    if workbook_uid is not None:
        sheet.workbook_uid = workbook_uid


@dataclass
class SheetStatus:
    """One registered sheet as ``salesync status``, ``salesync sheets list`` and the portal show it."""

    id: int
    url: str
    title: str | None
    account: str
    kind: str
    active: bool
    last_version: int | None
    last_outcome: str | None
    last_checked: str | None  # Asia/Shanghai
    error_code: str | None
    error: str | None
    failures: int
    next_attempt: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _local(value: dt.datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def sheet_status(session: Session, *, account_ids: set[int] | None = None) -> list[SheetStatus]:
    """Every registered sheet (of ``account_ids``, when given), errors first."""
    stmt = select(OnlineSheet).order_by(OnlineSheet.id)
    if account_ids is not None:
        stmt = stmt.where(OnlineSheet.account_id.in_(account_ids))
    rows = [
        SheetStatus(
            id=s.id,
            url=s.url,
            title=s.title,
            account=s.account.username,
            kind=s.kind,
            active=s.active,
            last_version=s.last_version.seq if s.last_version else None,
            last_outcome=s.last_version.outcome if s.last_version else None,
            last_checked=_local(s.last_checked_at),
            error_code=s.error_code,
            error=s.error_detail,
            failures=s.failures,
            next_attempt=_local(s.next_attempt_at),
        )
        for s in session.scalars(stmt)
    ]
    return sorted(rows, key=lambda r: (r.error_code is None, r.id))
