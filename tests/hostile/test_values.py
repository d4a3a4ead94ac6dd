"""Every value fits or is refused at its cell, the same on SQLite and PostgreSQL; control
characters are removed with a warning and never reach the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from schema.models import Customer
from sync.app import Salesync
from sync.cli import main
from sync.pipeline.outcome import Verdict
from tests import hostile
from tests.workbooks import customer_rows, edit, fill_template


def test_over_long_values_are_findings_at_their_cells(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(4)
    rows["客户"][0]["客户姓名"] = "张" * 201
    rows["客户"][1]["证件类型"] = "护照"
    rows["客户"][1]["证件号码"] = "E" * 33
    rows["客户"][2]["意向项目"] = "海湾花园" * 51
    path = fill_template("customers", rows, tmp_path / "客户登记.xlsx")

    outcome = app.ingest(path, "rep_a")

    assert outcome.verdict is Verdict.PARTIAL
    long = [(f.row, f.header, f.code, f.params) for f in outcome.findings if f.code == "too-long"]
    assert long == [
        (2, "客户姓名", "too-long", {"length": 201, "limit": 200}),
        (3, "证件号码", "too-long", {"length": 33, "limit": 32}),
        (4, "意向项目", "too-long", {"length": 204, "limit": 200}),
    ]
    finding = next(f for f in outcome.findings if f.code == "too-long")
    assert finding.message() == "内容过长：共 201 个字，此列最多 200 个字"
    assert finding.value == "张" * 40 + "…"
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 1  # the fourth row
        assert session.scalar(select(func.max(func.length(Customer.name)))) <= 200

    result = CliRunner().invoke(
        main, ["--db", app.config.database_url, "ingest", str(path), "--as", "rep_a", "--json"]
    )
    assert "Traceback" not in result.output


def test_control_characters_never_reach_the_database(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(2)
    rows["客户"][0]["客户姓名"] = "张丽NUL"
    rows["客户"][1]["备注"] = "备注BEL"
    data = fill_template("customers", rows, tmp_path / "src.xlsx").read_bytes()
    sheet = next(
        n
        for n in hostile.members(data)
        if n.startswith("xl/worksheets/") and b"NUL" in hostile.members(data)[n]
    )
    xml = hostile.members(data)[sheet].replace(b"NUL", b"_x0000_").replace(b"BEL", b"_x0007_")
    path = tmp_path / "客户登记.xlsx"
    path.write_bytes(hostile.rewrite(data, {sheet: xml}))

    outcome = app.ingest(path, "rep_a")

    assert outcome.verdict is Verdict.ACCEPTED
    assert sorted(f.flat() for f in outcome.findings if f.code == "control-chars-removed") == [
        (2, "客户姓名", "control-chars-removed"),
        (3, "备注", "control-chars-removed"),
    ]
    with app.transaction() as session:
        names = set(session.scalars(select(Customer.name)))
        notes = set(session.scalars(select(Customer.note)))
    assert "张丽" in names and "备注" in notes


def test_implausible_first_contact_dates_are_warnings(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(3)
    rows["客户"][0]["首次接触日期"] = "2099-01-01"
    rows["客户"][1]["首次接触日期"] = "1900-03-01"
    path = fill_template("customers", rows, tmp_path / "客户登记.xlsx")

    outcome = app.ingest(path, "rep_a")

    assert outcome.verdict is Verdict.ACCEPTED
    dated = sorted((f.flat(), f.severity.value) for f in outcome.findings if f.code.startswith("date-"))
    assert dated == [
        ((2, "首次接触日期", "date-in-future"), "warning"),
        ((3, "首次接触日期", "date-too-early"), "warning"),
    ]
    too_early = next(f for f in outcome.findings if f.code == "date-too-early")
    assert too_early.message() == "日期 1900-03-01 早于 2000-01-01，不太可能，请核对（已按所填日期接收）"
    # the 1900 customer is years late and is recorded as such; all three are stored
    assert [f.row for f in outcome.findings if f.code == "late-entry"] == [3]
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 3


def test_a_future_first_contact_is_still_timed_once_corrected(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(2)
    rows["客户"][0]["首次接触日期"] = "2099-01-01"
    path = fill_template("customers", rows, tmp_path / "客户登记.xlsx")
    first = app.ingest(path, "rep_a")
    assert first.verdict is Verdict.ACCEPTED
    assert [f.code for f in first.findings if f.row == 2] == ["date-in-future"]  # not late: not yet timed

    month_ago = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    edit(path, "客户", 2, "首次接触日期", month_ago)
    second = app.ingest(path, "rep_a")

    late = [(f.row, f.code, f.value) for f in second.findings if f.code == "late-entry"]
    assert late == [(2, "late-entry", month_ago)]
