"""The few Google Sheets API v4 and Drive calls salesync makes, through gspread, with backoff.

gspread is the optional extra ``salesync[gsheets]``: without it this module still imports, and
:func:`connect` says how to install it. Every call goes through :meth:`SheetsApi.call`, which waits
and tries again on 429 (quota), 408 and 5xx answers and on network failures — ``base_delay``
doubling each time — and turns what is left into one :class:`SourceUnavailable` with a code:

    403 → sheet-forbidden (the share was revoked)   404 → sheet-not-found
    429 after the retries → sheet-quota             no connection → sheet-network
    anything else → sheet-api

Tests hand :func:`connect` a ``requests`` session of their own (``session=``), pointed at a local
fake of these endpoints; in service, the session is gspread's, authorised by the key file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sync.sources.base import SourceUnavailable

try:
    import gspread
    import requests
    from google.auth.exceptions import RefreshError, TransportError
    from google.oauth2.service_account import Credentials
    from gspread.exceptions import APIError
    from gspread.utils import absolute_range_name

    INSTALLED = True
except ImportError:  # the optional extra salesync[gsheets] is not installed
    INSTALLED = False

log = logging.getLogger("salesync.sources.gsheets")

T = TypeVar("T")
RETRIED = {408, 429, 500, 502, 503, 504}
#: seconds a call may wait for an answer: the watcher's loop waits with it, so it is kept short
TIMEOUT = 20.0
SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive")


@dataclass
class SheetsApi:
    """A gspread client, the service account it acts as, and how patiently it retries."""

    client: Any  # gspread.Client
    email: str  # the service account's address: authors share their sheets with it
    retries: int = 4
    base_delay: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    waited: list[float] = field(default_factory=list)  # every backoff wait, for the operator's log

    def call(self, sheet: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` with exponential backoff; :class:`SourceUnavailable` when it fails."""
        for attempt in range(self.retries + 1):
            try:
                return fn(*args, **kwargs)
            except APIError as exc:
                status = exc.response.status_code
                if status not in RETRIED or attempt == self.retries:
                    raise _unavailable(exc, sheet, self.email, attempt + 1) from exc
                self._wait(attempt, exc.response.headers.get("Retry-After"))
            except RefreshError as exc:  # the key was deleted or disabled in the console
                raise SourceUnavailable("sheets-bad-key", detail=_short(exc)) from exc
            except (requests.RequestException, TransportError) as exc:
                if attempt == self.retries:
                    raise SourceUnavailable("sheet-network", detail=_short(exc)) from exc
                self._wait(attempt, None)
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.base_delay * 2**attempt
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        self.waited.append(delay)
        log.info("online sheet API busy: waiting %.2fs before try %d", delay, attempt + 2)
        self.sleep(delay)

    # -- the calls -------------------------------------------------------------------------------

    def metadata(self, key: str, label: str = "") -> dict[str, Any]:
        """The spreadsheet's title and its tabs (GET spreadsheets/{id})."""
        result: dict[str, Any] = self.call(label or key, self.client.http_client.fetch_sheet_metadata, key)
        return result

    def values(self, key: str, titles: Sequence[str], label: str = "") -> list[list[list[Any]]]:
        """Every cell of each tab from A1 (GET spreadsheets/{id}/values:batchGet), one call."""
        params = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "FORMATTED_STRING",
            "majorDimension": "ROWS",
        }
        ranges = [absolute_range_name(title) for title in titles]
        answer = self.call(label or key, self.client.http_client.values_batch_get, key, ranges, params)
        return [list(r.get("values", [])) for r in answer.get("valueRanges", [])]

    def write_values(self, key: str, data: Sequence[Mapping[str, Any]], label: str = "") -> None:
        """Many ranges in one call (POST spreadsheets/{id}/values:batchUpdate)."""
        if data:
            body = {"valueInputOption": "RAW", "data": list(data)}
            self.call(label or key, self.client.http_client.values_batch_update, key, body)

    def batch_update(
        self, key: str, requests_: Sequence[Mapping[str, Any]], label: str = ""
    ) -> dict[str, Any]:
        """Formatting, notes, validation, tabs in one call (POST spreadsheets/{id}:batchUpdate)."""
        if not requests_:
            return {}
        result: dict[str, Any] = self.call(
            label or key, self.client.http_client.batch_update, key, {"requests": list(requests_)}
        )
        return result

    def create(self, title: str) -> str:
        """A new, empty spreadsheet owned by the service account (Drive files.create); its id."""
        spreadsheet = self.call(title, self.client.create, title)
        return str(spreadsheet.id)

    def share(self, key: str, email: str) -> None:
        """Give ``email`` edit rights (Drive permissions.create), with Google's notification mail."""
        self.call(key, self.client.insert_permission, key, email, perm_type="user", role="writer")


def connect(
    key_file: Path | None,
    *,
    session: Any = None,
    email: str | None = None,
    retries: int = 4,
    base_delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SheetsApi:
    """A client acting as the service account of ``key_file`` (or over ``session``, for tests)."""
    if not INSTALLED:
        raise SourceUnavailable("sheets-not-installed")
    if session is None:
        if key_file is None:
            raise SourceUnavailable("sheets-no-key")
        try:
            credentials = Credentials.from_service_account_file(str(key_file), scopes=SCOPES)
        except (OSError, ValueError, KeyError) as exc:
            raise SourceUnavailable("sheets-bad-key", detail=_short(exc)) from exc
        client = gspread.Client(auth=credentials)
        email = email or credentials.service_account_email
    else:
        client = gspread.Client(auth=None, session=session)  # type: ignore[arg-type]
    client.set_timeout(TIMEOUT)
    return SheetsApi(client, email or "", retries=retries, base_delay=base_delay, sleep=sleep)


def _unavailable(exc: Any, sheet: str, email: str, tries: int) -> SourceUnavailable:
    status = exc.response.status_code
    if status == 403:
        return SourceUnavailable("sheet-forbidden", sheet=sheet, account=email)
    if status == 404:
        return SourceUnavailable("sheet-not-found", sheet=sheet)
    if status == 429:
        return SourceUnavailable("sheet-quota", sheet=sheet, tries=tries)
    return SourceUnavailable("sheet-api", status=status, detail=_short(exc))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
