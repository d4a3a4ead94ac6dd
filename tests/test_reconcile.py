"""Dual-track reconciliation end to end: a manual report workbook against the system's report."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from schema.models import ReconciliationItem, ReconciliationRun, StoredFile
from sync.app import Salesync
from sync.cli import main
from sync.pipeline.reconcile_file import export_path, reconcile_file
from sync.reports import Scope
from tests.deals import PROJECT
from tests.manual_reports import PERIOD, REPORT_NAME, Rows, manual_report_file, synced_visits
from tests.test_xlsx_patch import raw_members, run_soffice, soffice
from tests.workbooks import phone


@pytest.fixture
def events(app: Salesync, people: dict[str, str], tmp_path: Path) -> Rows:
    """Five customers of rep_a first visited on 2026-11-10; the system's 来电来访明细表 rows."""
    return synced_visits(app, people, tmp_path, 5)


def manual_report(tmp_path: Path, rows: Rows) -> Path:
    return manual_report_file(rows, tmp_path / "controller" / REPORT_NAME)


def reconcile(app: Salesync, path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(
        main, ["--db", app.config.database_url, "reconcile", str(path), "--as", "manager", "--json", *extra]
    )
    return result.exit_code, json.loads(result.output)


def test_the_same_report_by_hand_agrees(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    code, out = reconcile(app, manual_report(tmp_path, events))
    assert code == 0, out
    result = out["result"]
    assert isinstance(result, dict)
    assert result["agrees"] and result["matched_rows"] == 5 and result["system_rows"] == 5


def test_injected_differences_are_found_marked_and_explainable(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    rows = [dict(e) for e in events]
    del rows[0]  # missing row
    rows.append(rows[0] | {"客户手机": phone(99), "客户姓名": "路人甲"})  # extra row
    rows[1]["事件内容"] = "看样板间，问价格"  # differing text
    name = str(rows[2]["客户姓名"])
    rows[2]["客户姓名"] = name[0] + "\u3000" + name[1:]  # padded name: not a difference
    rows[3]["事件时间"] = "2026-11-11 13:30"  # entered a day late: the key moves
    path = manual_report(tmp_path, rows)
    original = path.read_bytes()

    code, out = reconcile(app, path)
    assert code == 1
    result = out["result"]
    assert isinstance(result, dict)
    found = {(m["difference"], m["key"], m["header"], m["likely"]) for m in result["mismatches"]}
    assert found == {
        ("only-system", f"{phone(0)} / 2026-11-10 10:30 / 首次来访", None, None),
        ("only-manual", f"{phone(99)} / 2026-11-10 11:30 / 首次来访", None, None),
        ("cell", f"{phone(2)} / 2026-11-10 12:30 / 首次来访", "事件内容", None),
        # the same row with only its date moved is one item: the date cell, a likely late entry
        ("cell", f"{phone(4)} / 2026-11-11 13:30 / 首次来访", "事件时间", "date-lag"),
    }
    shifted = next(m for m in result["mismatches"] if m["likely"])
    assert (shifted["manual"], shifted["system"]) == ("2026-11-11 13:30", "2026-11-10 14:30")
    # "matched" counts only rows that agree in every cell: not the one whose 事件内容 differs
    assert result["matched_rows"] == 2
    # a row on one side only is shown whole, not just its key
    missing = next(m for m in result["mismatches"] if m["difference"] == "only-system")
    assert dict(missing["cells"])["客户姓名"] == events[0]["客户姓名"]

    # The manual workbook comes back with the differing cell highlighted and commented.
    marked = load_workbook(export_path(path))
    ws = marked["来电来访明细表"]
    headers = [c.value for c in ws[1]]
    cell = ws.cell(3, headers.index("事件内容") + 1)  # rows[1] is Excel row 3
    assert cell.fill.fgColor.rgb == "FFFFC7CE" and "看样板间" in cell.comment.text
    assert "对账结果" in marked.sheetnames
    key_columns = [headers.index(h) + 1 for h in ("客户手机", "事件时间", "事件类型")]
    # the row only in the manual report: its key cells, in yellow
    assert {ws.cell(6, c).fill.fgColor.rgb for c in key_columns} == {"FFFFEB9C"}
    moved = ws.cell(5, headers.index("事件时间") + 1)  # the late entry: its date cell, noted as such
    assert moved.fill.fgColor.rgb == "FFFFC7CE" and "疑似录入延迟" in moved.comment.text
    results = marked["对账结果"]
    assert results["A4"].value == "编号" and results["A4"].font.bold
    listed = [r for r in results.iter_rows(min_row=5, max_row=8, values_only=True)]
    assert len(listed) == 4 and all(r[0] is not None for r in listed)
    heads = [c.value for c in results[4]]
    whole = {r[heads.index("类型")]: r[heads.index("整行内容")] for r in listed}
    assert f"客户姓名：{events[0]['客户姓名']}" in whole["仅系统有"]

    # Only the parts that carry the marks and the results sheet were written; the rest is the
    # controller's file byte for byte.
    old, new = raw_members(original), raw_members(export_path(path).read_bytes())
    assert list(new)[: len(old)] == list(old)
    changed = {n for n in old if old[n] != new[n]}
    assert changed <= {
        "xl/worksheets/sheet1.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    }, changed
    assert "xl/worksheets/sheet1.xml" in changed and "xl/styles.xml" in changed

    # The run is kept; a mismatch can be explained.
    with app.transaction() as session:
        run = session.scalars(select(ReconciliationRun)).one()
        assert run.mismatch_count == 4 and run.version_id is not None
        item = session.scalars(
            select(ReconciliationItem).where(ReconciliationItem.header == "事件内容")
        ).one()
    explained = CliRunner().invoke(
        main,
        [
            "--db",
            app.config.database_url,
            "mismatch",
            "explain",
            str(item.id),
            "--as",
            "manager",
            "--reason",
            "手工错误",
            "--note",
            "手工表抄错",
        ],
    )
    assert explained.exit_code == 0, explained.output
    with app.transaction() as session:
        again = session.get(ReconciliationItem, item.id)
        assert again is not None and again.explanation == "手工错误" and again.note == "手工表抄错"


def test_a_controllers_own_sheet_with_the_same_headers(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "11月来访"
    headers = ["备注", *reversed(list(events[0]))]  # an extra column; order free
    ws.append(headers)
    for e in events:
        ws.append(["", *[e[h] for h in headers[1:]]])
    path = tmp_path / "own.xlsx"
    wb.save(path)

    code, out = reconcile(app, path)
    assert code == 2 and out["errors"][0]["code"] == "reconcile-needs-scope"  # type: ignore[index]

    code, out = reconcile(
        app, path, "--report", "calls_visits", "--project", PROJECT, "--from", PERIOD[0], "--to", PERIOD[1]
    )
    assert code == 0, out


def test_cadence_lists_the_days_weeks_and_months_not_yet_reconciled(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    from sync.domain.workdays import DEFAULT_CALENDAR
    from sync.reconcile.cadence import Cadence, missing, periods

    # 2026-10-01..07 is the 国庆 holiday; Saturday 10-10 is a make-up working day, Sunday 10-11 is not.
    days = [d for d, _ in periods(Cadence.DAY, dt.date(2026, 9, 30), dt.date(2026, 10, 12), DEFAULT_CALENDAR)]
    assert days == [dt.date(2026, 9, 30), *(dt.date(2026, 10, d) for d in (8, 9, 10, 12))]

    reconcile(app, manual_report(tmp_path, events))  # calls_visits for the whole of November
    with app.transaction() as session:
        gaps = missing(
            session, PROJECT, dt.date(2026, 11, 1), dt.date(2026, 11, 30), reports=("calls_visits",)
        )
    kinds = {(g.cadence, g.period_from) for g in gaps}
    assert (Cadence.MONTH, dt.date(2026, 11, 1)) not in kinds  # the month was reconciled
    assert (Cadence.WEEK, dt.date(2026, 11, 2)) in kinds
    assert (Cadence.DAY, dt.date(2026, 11, 30)) in kinds
    assert len([g for g in gaps if g.cadence is Cadence.DAY]) == 21  # November 2026's working days


def test_a_report_saved_in_the_reconciliation_folder_is_reconciled_by_the_watcher(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    folder = app.config.drive_root / "SZ" / "manager" / "对账"
    folder.mkdir(parents=True)
    built = manual_report(tmp_path, events)
    (folder / built.name).write_bytes(built.read_bytes())
    result = CliRunner().invoke(
        main, ["--db", app.config.database_url, "watch", str(app.config.drive_root), "--once", "--polling"]
    )
    assert result.exit_code == 0, result.output
    with app.transaction() as session:
        run = session.scalars(select(ReconciliationRun)).one()
        assert (run.report_id, run.mismatch_count, run.matched_rows) == ("calls_visits", 0, 5)
        assert run.version_id is not None


def test_unexplained_mismatches_are_the_controllers_task_until_explained(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    from sync.domain.tasks import tasks_for

    rows = [dict(e) for e in events]
    rows[1]["事件内容"] = "问价格"
    reconcile(app, manual_report(tmp_path, rows))
    with app.transaction() as session:
        (task,) = [
            t for t in tasks_for(session, "manager", dt.date(2026, 12, 1)).tasks if t.kind == "对账差异"
        ]
        assert "1 项差异待说明" in task.detail
        item = session.scalars(select(ReconciliationItem)).one()
    CliRunner().invoke(
        main,
        [
            "--db",
            app.config.database_url,
            "mismatch",
            "explain",
            str(item.id),
            "--as",
            "manager",
            "--reason",
            "手工错误",
        ],
    )
    with app.transaction() as session:
        assert not [
            t for t in tasks_for(session, "manager", dt.date(2026, 12, 1)).tasks if t.kind == "对账差异"
        ]


def test_a_run_keeps_which_workbook_it_compared(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    template = manual_report(tmp_path, events)
    own = tmp_path / "own.xlsx"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(events[0]))
    for e in events:
        ws.append(list(e.values()))
    wb.save(own)
    compared = {template: template.read_bytes(), own: own.read_bytes()}  # before the stamp goes in
    first = reconcile_file(app, template, "manager")
    second = reconcile_file(
        app,
        own,
        "manager",
        report_id="calls_visits",
        scope=Scope(PROJECT, *map(dt.date.fromisoformat, PERIOD)),
    )
    with app.transaction() as session:
        for done, path in [(first, template), (second, own)]:
            run = session.get(ReconciliationRun, done.run_id)
            assert run is not None
            assert run.source_sha256 == hashlib.sha256(compared[path]).hexdigest()
            assert run.source_name == path.name
            assert session.get(StoredFile, run.source_sha256) is not None


def test_an_upload_in_hand_writes_nothing_to_disk(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    data = manual_report(tmp_path, events).read_bytes()
    place = tmp_path / "uploads" / "手工来电来访明细表.xlsx"  # recorded, never created
    done = reconcile_file(app, place, "manager", data=data, write_back=False)
    assert done.run_id is not None and done.export is None and done.agrees
    assert not place.parent.exists()


def test_the_marked_export_opens_in_libreoffice(
    app: Salesync, events: list[dict[str, object]], tmp_path: Path
) -> None:
    soffice()
    rows = [dict(e) for e in events]
    rows[1]["事件内容"] = "看样板间，问价格"
    rows.append(rows[0] | {"客户手机": phone(99), "客户姓名": "路人甲"})
    path = manual_report(tmp_path, rows)
    assert reconcile(app, path)[0] == 1
    out = tmp_path / "csv"
    run_soffice(
        [
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(out),
            str(export_path(path)),
        ],
        tmp_path,
    )
    text = next(out.glob("*.csv")).read_text(encoding="utf-8")
    assert "看样板间，问价格" in text
