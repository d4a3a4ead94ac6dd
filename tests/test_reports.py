"""The system's reports on a generated project: exports reopen in openpyxl and their figures equal
figures worked out here from the rows the test typed; a hand-made 收退款明细表 with known injected
differences reconciles to exactly those differences."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sync.app import Salesync
from sync.cli import main
from tests.deals import (
    PROJECT,
    R1,
    R2,
    receipt,
    sold_project,
)
from tests.workbooks import fill_template, master_rows

D = Decimal
PERIOD = ("2026-11-01", "2026-11-30")
RECEIPTS = [
    receipt("P001", "S001", "定金", 50000, "2026-11-03 10:00"),
    receipt("P002", "S002", "定金", 50000, "2026-11-04 11:00"),
    receipt("P003", "S001", "首付款", 982528, "2026-11-09 15:00"),
    receipt("P004", "S002", "首付款", 995192.05, "2026-11-10 16:00"),
    receipt("P005", "S001", "楼款", 12000.5, "2026-11-20 09:30"),
    receipt("P006", "S002", "楼款", 8000, "2026-11-21 09:30"),
    receipt("P007", "S002", "楼款", 3000, "2026-11-30 17:00"),
]


@pytest.fixture
def project(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    return sold_project(app, tmp_path, receipts=RECEIPTS)


def run(app: Salesync, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--db", app.config.database_url, *args])
    assert result.exit_code in (0, 1), result.output
    return result


def export(app: Salesync, report: str, out: Path) -> list[dict[str, Any]]:
    run(
        app, "report", report, "--project", PROJECT, "--from", PERIOD[0], "--to", PERIOD[1], "--out", str(out)
    )
    ws = load_workbook(out)[load_workbook(out).sheetnames[0]]
    assert ws.freeze_panes == "A2"
    headers = [c.value for c in ws[1]]
    return [dict(zip(headers, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]


def test_sales_detail_export(project: Salesync, tmp_path: Path) -> None:
    rows = export(project, "sales_detail", tmp_path / "detail.xlsx")
    *deals, total = rows
    paid = {"S001": 50000 + 982528 + 12000.5, "S002": 50000 + 995192.05 + 8000 + 3000}
    price = {"S001": 3441760.0, "S002": 3483973.5}
    assert [(r["认购编号"], r["房间编码"], r["合同编号"], r["状态"]) for r in deals] == [
        ("S001", R1, "C001", "签约"),
        ("S002", R2, None, "认购"),
    ]
    for r in deals:
        assert r["成交总价"] == pytest.approx(price[r["认购编号"]])
        assert r["已收金额"] == pytest.approx(paid[r["认购编号"]])
        assert r["未收金额"] == pytest.approx(price[r["认购编号"]] - paid[r["认购编号"]])
    assert total["项目"] == "合计"
    assert total["成交总价"] == pytest.approx(sum(price.values()))
    assert total["已收金额"] == pytest.approx(sum(paid.values()))


def test_receipts_and_summary_exports(project: Salesync, tmp_path: Path) -> None:
    *rows, total = export(project, "receipts", tmp_path / "receipts.xlsx")
    assert [r["票据编号"] for r in rows] == [r["票据编号"] for r in RECEIPTS]
    assert rows[0]["交款时间"] == dt.datetime(2026, 11, 3)
    assert total["金额"] == pytest.approx(sum(r["金额"] for r in RECEIPTS))

    *buildings, total = export(project, "sales_summary", tmp_path / "summary.xlsx")
    rooms = master_rows(PROJECT)["房间"]
    assert total["总套数"] == len(rooms)
    assert total["总货值"] == pytest.approx(sum(r["总价"] for r in rooms))
    assert total["认购套数"] == 2 and total["签约套数"] == 1
    assert total["认购金额"] == pytest.approx(3441760 + 3483973.5)
    assert total["累计签约金额"] == pytest.approx(3441760)
    assert total["累计回款"] == pytest.approx(sum(r["金额"] for r in RECEIPTS))
    assert sum(b["总套数"] for b in buildings) == len(rooms)


def test_hand_made_receipts_reconcile_to_the_injected_differences(project: Salesync, tmp_path: Path) -> None:
    def line(r: dict[str, Any], day: str | None = None) -> dict[str, Any]:
        return {
            "票据编号": r["票据编号"],
            "交款时间": day or r["交款时间"][:10],
            "项目": None,  # left blank by the controller: not compared
            "房间编码": R1 if r["认购编号"] == "S001" else R2,
            "客户姓名": "王伟",
            "认购编号": r["认购编号"],
            "款项类别": r["款项类别"],
            "交款方式": r["交款方式"],
            "交款人": r["交款人"],
            "金额": r["金额"],
        }

    manual = [line(r) for r in RECEIPTS[1:]]  # P001 missing
    manual.append(line(RECEIPTS[0]) | {"票据编号": "P099", "金额": 777})  # an extra row
    manual[0]["金额"] = 50000.01  # P002 off by a cent
    manual[1]["金额"] = 982628  # P003 off by 100
    manual[2]["客户姓名"] = "王\u3000伟"  # P004: a padded name, no mismatch
    manual[3] = line(RECEIPTS[4], day="2026-11-21")  # P005 a day later
    path = fill_template(
        "manual_report_receipts",
        {
            "收退款明细表": manual,
            "范围": [{"项目编码": PROJECT, "期间起": PERIOD[0], "期间止": PERIOD[1]}],
        },
        tmp_path / "controller" / "手工收退款明细表.xlsx",
    )
    result = CliRunner().invoke(
        main, ["--db", project.config.database_url, "reconcile", str(path), "--as", "manager", "--json"]
    )
    assert result.exit_code == 1, result.output
    out = json.loads(result.output)["result"]
    found = {
        (m["difference"], m["key"], m["header"], m["manual"], m["system"], m["likely"])
        for m in out["mismatches"]
    }
    assert found == {
        ("only-system", "P001", None, None, None, None),
        ("only-manual", "P099", None, None, None, None),
        ("cell", "P002", "金额", "50000.01", "50000.00", None),
        ("cell", "P003", "金额", "982628.00", "982528.00", None),
        ("cell", "P005", "交款时间", "2026-11-21", "2026-11-20", "date-lag"),
    }
    (total,) = out["totals"]
    system_total = sum(D(str(r["金额"])) for r in RECEIPTS)
    assert D(total["system"]) == system_total
    assert D(total["difference"]) == D("-50000") + D("777") + D("0.01") + D("100")


def test_the_board_colours_every_room_by_status(project: Salesync, tmp_path: Path) -> None:
    out = tmp_path / "board.xlsx"
    run(project, "report", "board", "--project", PROJECT, "--out", str(out))
    wb = load_workbook(out)
    rooms = master_rows(PROJECT)["房间"]
    cells = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=3):
            for cell in row[1:]:
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cells[cell.value.split("\n")[0], ws.title] = (
                        cell.value.split("\n")[1],
                        cell.fill.fgColor.rgb,
                    )
    assert len(cells) == len(rooms)
    statuses = [status for status, _ in cells.values()]
    assert statuses.count("签约") == 1 and statuses.count("认购") == 1
    colours = {status: rgb for status, rgb in cells.values()}
    assert colours["签约"] == "FFFF7C80" and colours["认购"] == "FFF8CBAD"


def test_people_reports(project: Salesync, tmp_path: Path) -> None:
    *reps, _total = export(project, "workload", tmp_path / "workload.xlsx")
    rep_a = next(r for r in reps if r["账号"] == "rep_a")
    assert (rep_a["认购"], rep_a["签约"]) == (2, 1)

    dormant = export(project, "dormant", tmp_path / "dormant.xlsx")  # no totals row: nothing to add up
    # The three registered customers were last seen on 2026-09-20, 71 days before 2026-11-30; two of
    # them are buying (S001, S002), so one is dormant, as the manager's tasks and 客户归属 say.
    assert [r["未跟进天数"] for r in dormant] == [71]

    result = CliRunner().invoke(
        main,
        [
            "--db",
            project.config.database_url,
            "report",
            "collections_due",
            "--project",
            PROJECT,
            "--from",
            "2026-11-01",
            "--to",
            "2027-03-31",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    due = {r["subscription_no"]: r for r in json.loads(result.output)["rows"]}
    # S002 (3,483,973.50, plan AJ) has paid 1,056,192.05; by 2027-03-31 every line is due.
    assert D(str(due["S002"]["outstanding"])) == D("3483973.50") - D("1056192.05")
    assert D(str(due["S002"]["overdue"])) == D(str(due["S002"]["outstanding"]))


def test_an_unknown_project_is_a_clear_error(project: Salesync) -> None:
    result = CliRunner().invoke(
        main, ["--db", project.config.database_url, "report", "board", "--project", "NOPE", "--out", "x.xlsx"]
    )
    assert result.exit_code == 2 and "没有编码为 NOPE 的项目" in result.output
