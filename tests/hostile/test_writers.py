"""Every writer escapes what Excel cannot hold: a control character stored before the reader
removed them (or arriving from elsewhere) never stops a report download."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import update

from schema.models import Customer, CustomerEvent
from sync.app import Salesync
from sync.cli import main
from sync.xlsx.xml_chars import clean
from tests.deals import PROJECT, sold_project


def test_clean_keeps_tab_and_line_breaks() -> None:
    assert clean("张\x00三\x01\x1f\t\n\r") == "张三\t\n\r"
    assert clean(5) == 5 and clean(None) is None


@pytest.mark.parametrize("report", ["dormant", "calls_visits"])
def test_report_with_a_control_character_downloads(
    app: Salesync, people: dict[str, str], tmp_path: Path, report: str
) -> None:
    sold_project(app, tmp_path)
    with app.transaction() as session:
        session.execute(update(Customer).values(name=Customer.name + "\x01\x0b"))
        session.execute(update(CustomerEvent).values(content="来访\x02"))
    out = tmp_path / f"{report}.xlsx"
    args = ["--db", app.config.database_url, "report", report, "--project", PROJECT]
    result = CliRunner().invoke(
        main, [*args, "--from", "2026-09-01", "--to", "2026-11-30", "--out", str(out)]
    )
    assert result.exit_code in (0, 1), result.output
    values = [c.value for row in load_workbook(out).worksheets[0].iter_rows() for c in row]
    texts = [v for v in values if isinstance(v, str)]
    assert texts and not any(ch in v for v in texts for ch in "\x01\x02\x0b")
