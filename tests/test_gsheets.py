"""Registered Google Sheets as a second entry layer, through the source seam.

gspread runs for real against a local FAKE of the Sheets API v4 / Drive endpoints it calls
(``tests/gsheets_fake.py``: an http.server on 127.0.0.1 started by each test, holding the
spreadsheets in memory); the database, the pipeline and the snapshot bytes are real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from schema.base import now
from schema.models import Account, Customer, OnlineSheet, StoredFile, WorkbookVersion
from sync.app import Salesync
from sync.cli.main import main
from sync.kinds import get_kind
from sync.pipeline.outcome import Verdict
from sync.pipeline.sheet_sync import SheetResult, sync_sheets
from sync.sources import sheets
from sync.sources.gsheets_api import SheetsApi, connect
from sync.sources.gsheets_template import create_template
from sync.xlsx.reader import read_workbook
from tests.gsheets_fake import FakeSheets, FakeSpreadsheet, ToFake, running
from tests.watching import running_watcher, wait_for
from tests.workbooks import customer_rows

BOT = "salesync-bot@salesync-test.iam.gserviceaccount.com"
KEY_A = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"
KEY_B = "1ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210zyxw"


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    with running(FakeSheets()) as server:
        yield server


@pytest.fixture
def api(fake: FakeSheets) -> SheetsApi:
    """gspread over the fake; backoff waits are recorded, not slept."""
    return connect(None, session=ToFake(fake.base), email=BOT, base_delay=0.5, sleep=lambda s: None)


def tabs(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[list[Any]]]:
    """Rows by header as the Sheets API gives them back: headers in row 1, numbers as numbers."""
    out = {}
    for spec in get_kind("customers").sheets:
        if spec.name not in rows:
            continue
        headers = [c.header for c in spec.columns]
        body = [[_typed(row.get(h, "")) for h in headers] for row in rows[spec.name]]
        out[spec.name] = [headers, *body]
    return out


def _typed(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def register(app: Salesync, key: str, username: str) -> int:
    with app.transaction() as session:
        return sheets.register(
            session, f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0", username, "customers"
        ).id


def sync(app: Salesync, api: SheetsApi, *, force: bool = True) -> list[SheetResult]:
    return sync_sheets(app, lambda: api, force=force)


def versions(app: Salesync) -> int:
    with app.transaction() as session:
        return session.scalar(select(func.count()).select_from(WorkbookVersion)) or 0


def status_cells(book: FakeSpreadsheet, tab: str = "客户") -> dict[int, str]:
    t = book.tab(tab)
    column = next(c for (r, c), v in t.cells.items() if r == 0 and v == "同步状态")
    return {r + 1: v for (r, c), v in t.cells.items() if c == column and r > 0}


def test_first_sync_ingests_the_sheet_and_keeps_its_values_as_xlsx(
    app: Salesync, people: dict[str, str], fake: FakeSheets, api: SheetsApi
) -> None:
    fake.add(KEY_A, "张丽的客户登记", tabs(customer_rows(5)))
    sheet_id = register(app, KEY_A, "rep_a")

    [result] = sync(app, api, force=False)

    assert result.state == "synced" and result.outcome is not None
    assert result.outcome.verdict is Verdict.ACCEPTED, result.outcome.findings
    assert result.outcome.path == f"gsheets:{KEY_A}"
    with app.transaction() as session:
        rep_a = session.scalar(select(Account).where(Account.username == "rep_a"))
        assert rep_a is not None
        owned = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.owner_id == rep_a.id)
        )
        assert owned == 5
        version = session.get(WorkbookVersion, result.outcome.version_id)
        assert version is not None and version.seq == 1
        kept = session.get(StoredFile, version.sha256)
        assert kept is not None
        again = read_workbook(kept.content)  # the snapshot is a salesync workbook of its own
        assert again.kind is not None and again.kind.id == "customers"
        assert list(again.sheets["customer"].frame["phone"]) == [f"139{i:08d}" for i in range(5)]
        registered = session.get(OnlineSheet, sheet_id)
        assert registered is not None
        assert registered.title == "张丽的客户登记" and registered.workbook_uid == result.outcome.workbook_uid
    assert not fake.writes(), "nothing to mark: every row was accepted"

    [again_result] = sync(app, api)
    assert again_result.state == "unchanged"
    assert versions(app) == 1


def test_a_rejected_row_is_marked_back_and_a_changed_cell_writes_only_that_row(
    app: Salesync, people: dict[str, str], fake: FakeSheets, api: SheetsApi
) -> None:
    rows = customer_rows(6)
    rows["客户"][3]["手机号码"] = "1390000000"  # a digit short: rejected
    book = fake.add(KEY_A, "客户登记", tabs(rows))
    register(app, KEY_A, "rep_a")

    [first] = sync(app, api)
    assert first.outcome is not None and first.outcome.verdict is Verdict.PARTIAL
    marks = status_cells(book)
    assert marks[5].startswith("✗") and "手机" in marks[5]
    assert all(marks[r] == "✓ 已同步 v1" for r in (2, 3, 4, 6, 7))
    phone_col = 1
    assert "手机" in book.tab("客户").notes[(4, phone_col)]

    before = len(fake.requests)
    [unchanged] = sync(app, api)  # the status column salesync wrote is not a change by the author
    assert unchanged.state == "unchanged"
    assert not [r for r in fake.requests[before:] if r[0] == "POST"]

    book.tab("客户").set(4, phone_col, 13900000003)  # the author fixes row 5
    book.tab("客户").set(2, 8, "四房")  # and changes 意向户型 of row 3
    before = len(fake.requests)
    [second] = sync(app, api)
    assert second.outcome is not None and second.outcome.verdict is Verdict.ACCEPTED, second.outcome.findings
    assert second.outcome.seq == 2
    # untouched as last accepted: 4 customers and their events; read again: the two customers
    # changed and their events
    assert second.outcome.rows_unchanged == 8
    written = [body for method, path, body in fake.requests[before:] if path.endswith("values:batchUpdate")]
    assert len(written) == 1  # one call for every status cell
    assert {d["range"] for d in written[0]["data"]} == {
        "'客户'!M3",
        "'客户'!M5",
        "'客户事件'!F3",
        "'客户事件'!F5",
    }
    marks = status_cells(book)
    assert marks[5] == marks[3] == "✓ 已同步 v2"
    assert marks[2] == marks[4] == "✓ 已同步 v1"  # rows left as accepted keep their mark: not rewritten
    assert (4, phone_col) not in book.tab("客户").notes


def test_a_collision_is_noted_on_the_phone_cell(
    app: Salesync, people: dict[str, str], fake: FakeSheets, api: SheetsApi
) -> None:
    fake.add(KEY_A, "张丽", tabs(customer_rows(3)))
    shared = customer_rows(2, start=1)
    book_b = fake.add(KEY_B, "李强", tabs(shared))
    register(app, KEY_A, "rep_a")
    register(app, KEY_B, "rep_b")

    first, second = sync(app, api)

    assert first.outcome is not None and first.outcome.verdict is Verdict.ACCEPTED
    assert second.outcome is not None and len(second.outcome.collisions) == 2
    notes = book_b.tab("客户").notes
    assert "张丽" in notes[(1, 1)] and "张丽" in notes[(2, 1)]


def test_quota_answers_are_waited_out_with_exponential_backoff(
    app: Salesync, people: dict[str, str], fake: FakeSheets, api: SheetsApi
) -> None:
    fake.add(KEY_A, "客户登记", tabs(customer_rows(2)))
    register(app, KEY_A, "rep_a")
    fake.busy = 3

    [result] = sync(app, api)

    assert result.state == "synced"
    assert api.waited == [0.5, 1.0, 2.0]
    assert [r[0] for r in fake.requests[:4]] == ["GET"] * 4


def test_quota_exhausted_is_one_line_and_retried_later(
    app: Salesync, people: dict[str, str], fake: FakeSheets, api: SheetsApi
) -> None:
    fake.add(KEY_A, "客户登记", tabs(customer_rows(2)))
    sheet_id = register(app, KEY_A, "rep_a")
    fake.busy = 100

    [result] = sync(app, api, force=False)

    assert result.state == "failed" and result.error is not None
    assert result.error.code == "sheet-quota"
    assert len(api.waited) == api.retries
    assert versions(app) == 0  # nothing half-written
    with app.transaction() as session:
        [line] = sheets.sheet_status(session)
        assert line.error_code == "sheet-quota" and "配额" in (line.error or "")
        assert line.failures == 1 and line.next_attempt is not None
        assert sheets.due(session, now()) == []  # backing off
        second_wait = session.get(OnlineSheet, sheet_id)
        assert second_wait is not None
    assert sync(app, api, force=False) == []  # not due yet
    fake.busy = 0
    [retried] = sync(app, api)
    assert retried.state == "synced"
    with app.transaction() as session:
        [line] = sheets.sheet_status(session)
        assert line.error_code is None and line.failures == 0


def test_a_revoked_share_and_a_network_failure_are_clear_lines(
    app: Salesync, people: dict[str, str], fake: FakeSheets, api: SheetsApi
) -> None:
    fake.add(KEY_A, "客户登记", tabs(customer_rows(2)))
    register(app, KEY_A, "rep_a")
    [first] = sync(app, api)
    assert first.state == "synced"

    fake.revoked.add(KEY_A)
    [revoked] = sync(app, api)
    assert revoked.state == "failed" and revoked.error is not None
    assert revoked.error.code == "sheet-forbidden"
    assert BOT in str(revoked.error)
    assert api.waited == []  # a 403 is not retried
    assert versions(app) == 1

    offline = connect(None, session=ToFake("http://127.0.0.1:9"), email=BOT, retries=2, sleep=lambda s: None)
    [network] = sync(app, offline)
    assert network.error is not None and network.error.code == "sheet-network"
    with app.transaction() as session:
        [line] = sheets.sheet_status(session)
        assert line.error_code == "sheet-network" and line.failures == 2
    fake.revoked.clear()
    [back] = sync(app, api)
    assert back.state == "unchanged"


def test_a_renamed_tab_or_a_deleted_header_is_a_rejected_version(
    app: Salesync, people: dict[str, str], fake: FakeSheets, api: SheetsApi
) -> None:
    book = fake.add(KEY_A, "客户登记", tabs(customer_rows(2)))
    register(app, KEY_A, "rep_a")
    book.tab("客户").title = "我的客户"

    [renamed] = sync(app, api)
    assert renamed.outcome is not None and renamed.outcome.verdict is Verdict.REJECTED
    assert [(f.code, f.sheet) for f in renamed.outcome.findings] == [("sheet-missing", "客户")]

    book.tab("我的客户").title = "客户"
    book.tab("客户").set(0, 0, "")  # 客户姓名 deleted
    [headless] = sync(app, api)
    assert headless.outcome is not None and headless.outcome.verdict is Verdict.REJECTED
    assert [(f.code, f.header) for f in headless.outcome.findings] == [("column-missing", "客户姓名")]


def test_template_sheet_from_the_kind_then_registered_and_synced(
    app: Salesync, people: dict[str, str], fake: FakeSheets, api: SheetsApi
) -> None:
    kind = get_kind("customers")
    key = create_template(api, kind, share_with="zhangli@example.com")

    book = fake.spreadsheets[key]
    assert [t.title for t in book.tabs] == [s.name for s in kind.sheets]
    assert book.shared_with == ["zhangli@example.com"]
    tab = book.tab("客户")
    assert [tab.cells[(0, c)] for c in range(len(kind.sheets[0].columns))] == [
        c.header for c in kind.sheets[0].columns
    ]
    assert tab.frozen_rows == 1
    assert tab.validations[5] == list(kind.sheets[0].columns[5].choices)  # 客户来源
    assert (0, 0) in tab.notes  # the hint on the header

    rows = tabs(customer_rows(2))
    for name, values in rows.items():
        book.tab(name).put_rows(values[1:], top=1)
    register(app, key, "rep_a")
    [result] = sync(app, api)
    assert result.outcome is not None and result.outcome.verdict is Verdict.ACCEPTED, result.outcome.findings


def test_the_command_line_registers_lists_and_reports_a_sheet_it_cannot_read(
    app: Salesync, people: dict[str, str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SALESYNC_GOOGLE_SERVICE_ACCOUNT", raising=False)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--db", database_url, *args], catch_exceptions=False)
        return result.exit_code, result.output

    code, out = run(
        "sheets",
        "add",
        f"https://docs.google.com/spreadsheets/d/{KEY_A}/edit",
        "--as",
        "rep_a",
        "--kind",
        "customers",
    )
    assert code == 0 and "#1" in out
    code, out = run("sheets", "add", KEY_A, "--as", "rep_b", "--kind", "customers")
    assert code == 4 and "已登记给 rep_a" in out

    code, out = run("sheets", "sync")  # no key file configured: one clear line, nothing written
    assert code == 4 and "未配置 Google 服务账号密钥文件" in out
    assert versions(app) == 0
    code, out = run("status")
    assert code == 0 and "#1" in out and "未配置 Google 服务账号密钥文件" in out and "第 1 次失败" in out
    code, out = run("sheets", "list", "--json")
    assert code == 0 and '"error_code": "sheets-no-key"' in out


def test_the_watcher_checks_registered_sheets_on_its_schedule(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    """No key file is configured here: the watcher's check records that on the sheet and goes on."""
    sheet_id = register(app, KEY_A, "rep_a")
    root = tmp_path / "drive"
    root.mkdir()

    def recorded() -> bool:
        with app.transaction() as session:
            sheet = session.get(OnlineSheet, sheet_id)
            return sheet is not None and sheet.error_code == "sheets-no-key"

    with running_watcher(app, root) as watcher:
        wait_for("the watcher to check the online sheet", recorded)
        assert watcher.observer is not None  # the drive is still watched
