"""A local FAKE of the few Google Sheets API v4 and Drive v3 endpoints salesync calls through gspread.

Not Google: an ``http.server`` on 127.0.0.1, started by the test, holding spreadsheets in memory.
gspread talks to it through :class:`ToFake`, a ``requests`` session that sends what gspread addresses
to ``https://sheets.googleapis.com`` and ``https://www.googleapis.com`` to the fake instead. It answers
as the real API does for what salesync uses (shapes from the API reference):

    GET  /v4/spreadsheets/{id}                      tabs and title (403 revoked, 404 unknown)
    GET  /v4/spreadsheets/{id}/values:batchGet      the values of whole tabs (trailing blanks trimmed)
    POST /v4/spreadsheets/{id}/values:batchUpdate   single cells, RAW
    POST /v4/spreadsheets/{id}:batchUpdate          addSheet, deleteSheet, updateCells (values, notes),
                                                    setDataValidation
    POST /drive/v3/files                            create a spreadsheet
    POST /drive/v3/files/{id}/permissions           share

``busy`` makes the next requests answer 429 (quota), ``revoked`` makes a spreadsheet answer 403, and
``requests`` records every call (method, path, JSON body) so a test can see what was written.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

REAL = ("https://sheets.googleapis.com", "https://www.googleapis.com")


@dataclass
class FakeTab:
    sheet_id: int
    title: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # (row, col), 0-based
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    validations: dict[int, list[str]] = field(default_factory=dict)  # column → choices
    frozen_rows: int = 0

    def rows(self) -> list[list[Any]]:
        if not self.cells:
            return []
        height = max(r for r, _ in self.cells) + 1
        out = []
        for r in range(height):
            width = max((c + 1 for rr, c in self.cells if rr == r), default=0)
            out.append([self.cells.get((r, c), "") for c in range(width)])
        return out

    def put_rows(self, rows: list[list[Any]], top: int = 0) -> None:
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.set(top + r, c, value)

    def set(self, row: int, col: int, value: Any) -> None:
        if value in ("", None):
            self.cells.pop((row, col), None)
        else:
            self.cells[(row, col)] = value


@dataclass
class FakeSpreadsheet:
    key: str
    title: str
    tabs: list[FakeTab] = field(default_factory=list)
    shared_with: list[str] = field(default_factory=list)

    def tab(self, title: str) -> FakeTab:
        return next(t for t in self.tabs if t.title == title)

    def by_id(self, sheet_id: int) -> FakeTab:
        return next(t for t in self.tabs if t.sheet_id == sheet_id)


class FakeSheets:
    """The fake's state; use :func:`running` to serve it."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.busy = 0  # answer this many next requests with 429
        self.revoked: set[str] = set()
        self.requests: list[tuple[str, str, Any]] = []
        self.lock = threading.Lock()
        self.base = ""

    def add(self, key: str, title: str, tabs: dict[str, list[list[Any]]]) -> FakeSpreadsheet:
        book = FakeSpreadsheet(key, title)
        for index, (name, rows) in enumerate(tabs.items()):
            tab = FakeTab(100 + index, name)
            tab.put_rows(rows)
            book.tabs.append(tab)
        self.spreadsheets[key] = book
        return book

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] == "POST"]

    # -- the endpoints ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        with self.lock:
            self.requests.append((method, path, body))
            if self.busy:
                self.busy -= 1
                return 429, _error(
                    429, "Quota exceeded for quota metric 'Read requests'", "RESOURCE_EXHAUSTED"
                )
            if method == "POST" and path == "/drive/v3/files":
                key = f"created{len(self.spreadsheets):04d}abcdefghijklmnopq"
                self.spreadsheets[key] = FakeSpreadsheet(key, body["name"], [FakeTab(0, "Sheet1")])
                return 200, {"id": key, "name": body["name"]}
            found = re.fullmatch(r"/drive/v3/files/([^/]+)/permissions", path)
            if method == "POST" and found:
                self.spreadsheets[found.group(1)].shared_with.append(body["emailAddress"])
                return 200, {"id": "perm1", "role": body["role"], "type": body["type"]}
            found = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
            if not found:
                return 404, _error(404, "no such endpoint", "NOT_FOUND")
            key, rest = found.groups()
            if key in self.revoked:
                return 403, _error(403, "The caller does not have permission", "PERMISSION_DENIED")
            book = self.spreadsheets.get(key)
            if book is None:
                return 404, _error(404, "Requested entity was not found.", "NOT_FOUND")
            if method == "GET" and rest == "":
                return 200, _metadata(book)
            if method == "GET" and rest == "/values:batchGet":
                ranges = query.get("ranges", [])
                return 200, {"spreadsheetId": key, "valueRanges": [_get_range(book, r) for r in ranges]}
            if method == "POST" and rest == "/values:batchUpdate":
                for item in body["data"]:
                    _put_range(book, item["range"], item["values"])
                return 200, {"spreadsheetId": key, "totalUpdatedCells": len(body["data"])}
            if method == "POST" and rest == ":batchUpdate":
                return 200, {"spreadsheetId": key, "replies": [_apply(book, r) for r in body["requests"]]}
            return 404, _error(404, "no such endpoint", "NOT_FOUND")


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def _metadata(book: FakeSpreadsheet) -> dict[str, Any]:
    return {
        "spreadsheetId": book.key,
        "properties": {"title": book.title, "locale": "zh_CN", "timeZone": "Asia/Shanghai"},
        "sheets": [
            {
                "properties": {
                    "sheetId": t.sheet_id,
                    "title": t.title,
                    "index": i,
                    "sheetType": "GRID",
                    "gridProperties": {"rowCount": 1000, "columnCount": 26, "frozenRowCount": t.frozen_rows},
                }
            }
            for i, t in enumerate(book.tabs)
        ],
    }


def _title_and_cell(text: str) -> tuple[str, str | None]:
    if text.startswith("'"):
        end = text.rindex("'")
        title, rest = text[1:end].replace("''", "'"), text[end + 1 :]
    else:
        title, _, rest = text.partition("!")
        rest = "!" + rest if rest else ""
    return title, rest[1:] if rest.startswith("!") else None


def _get_range(book: FakeSpreadsheet, text: str) -> dict[str, Any]:
    title, cell = _title_and_cell(text)
    assert cell is None, "salesync reads whole tabs"
    rows = book.tab(title).rows()
    out: dict[str, Any] = {"range": f"'{title}'!A1:Z1000", "majorDimension": "ROWS"}
    if rows:
        out["values"] = rows
    return out


def _put_range(book: FakeSpreadsheet, text: str, values: list[list[Any]]) -> None:
    title, cell = _title_and_cell(text)
    assert cell is not None
    found = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    assert found, cell
    col = 0
    for char in found.group(1):
        col = col * 26 + ord(char) - 64
    tab = book.tab(title)
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            tab.set(int(found.group(2)) - 1 + r, col - 1 + c, value)


def _apply(book: FakeSpreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    ((name, spec),) = request.items()
    if name == "addSheet":
        props = spec["properties"]
        tab = FakeTab(props["sheetId"], props["title"])
        tab.frozen_rows = props.get("gridProperties", {}).get("frozenRowCount", 0)
        book.tabs.insert(props.get("index", len(book.tabs)), tab)
        return {"addSheet": {"properties": props}}
    if name == "deleteSheet":
        book.tabs.remove(book.by_id(spec["sheetId"]))
        return {}
    if name == "updateCells":
        grid = spec["range"]
        tab = book.by_id(grid["sheetId"])
        fields = spec["fields"].split(",")
        for r, row in enumerate(spec["rows"]):
            for c, cell in enumerate(row["values"]):
                at = (grid["startRowIndex"] + r, grid["startColumnIndex"] + c)
                if "note" in fields:
                    if cell.get("note"):
                        tab.notes[at] = cell["note"]
                    else:
                        tab.notes.pop(at, None)
                if "userEnteredValue" in fields:
                    value = cell.get("userEnteredValue", {})
                    tab.set(*at, next(iter(value.values()), ""))
        return {}
    if name == "setDataValidation":
        grid = spec["range"]
        values = [v["userEnteredValue"] for v in spec["rule"]["condition"]["values"]]
        book.by_id(grid["sheetId"]).validations[grid["startColumnIndex"]] = values
        return {}
    raise AssertionError(f"the fake does not know {name}")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSheets

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        status, payload = self.server.fake.handle(method, url.path, parse_qs(url.query), body)  # type: ignore[attr-defined]
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ToFake(requests.Session):
    """A requests session that sends gspread's Google addresses to the fake."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        text = url.decode() if isinstance(url, bytes) else url
        for real in REAL:
            if text.startswith(real):
                text = self.base + text[len(real) :]
        return super().request(method, text, *args, **kwargs)


@contextmanager
def running(fake: FakeSheets) -> Iterator[FakeSheets]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.fake = fake  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="fake-sheets")
    thread.start()
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
