"""The books fixed in time: October's reports and 楼盘表, exported as of Oct 31, come out the same
after November's business (退房, 换房, receipts, a receipt deleted, a true-up, a plan edit, a hold
running out); a receipt dated in October but entered later changes October and is marked as a late
entry; a plan edit leaves existing deals' schedules alone; master data never orphans a deal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from schema.db import alembic_config, upgrade
from schema.models import DealTermLine, Room, Subscription
from sync.app import Salesync
from sync.cli import main
from sync.domain import ledger, signing
from sync.kinds.reports import REPORTS
from sync.pipeline.outcome import Verdict
from tests.conftest import PASSWORD
from tests.deals import (
    PROJECT,
    R1,
    R2,
    R3,
    add_staff,
    contract,
    ingest,
    receipt,
    registered_customers,
    signed_project,
    subscription,
)
from tests.signers import sign_off

D = Decimal
R4, B2 = f"{PROJECT}-1-0501", f"{PROJECT}-2-0201"
OCTOBER = ("2026-10-01", "2026-10-31")
NOVEMBER = ("2026-11-01", "2026-11-30")
HOLD = {"房间编码": R4, "操作": "保留", "原因": "客户预留", "保留至": "2026-11-10", "操作日期": "2026-10-05"}
DEALS = [
    subscription("S001", R1, "2026-10-08", 3441760, area=109.75, unit=31360, customer=0),
    subscription("S002", R2, "2026-10-09", 3483973.50, area=110.75, unit=31458, customer=1),
    subscription("S003", B2, "2026-10-20", 3441760, area=109.75, unit=31360, customer=2),
]
CONTRACTS = [
    contract("C003", "S003", "2026-10-25", 3441760, area=109.75, unit=31360),
    contract("C001", "S001", "2026-10-31", 3441760, area=109.75, unit=31360),
]
OCTOBER_RECEIPTS = [
    receipt("P001", "S001", "定金", 50000, "2026-10-08 10:00"),
    receipt("P002", "S002", "定金", 50000, "2026-10-09 10:00"),
    receipt("P003", "S003", "定金", 50000, "2026-10-20 10:00"),
    receipt("P004", "S001", "首付款", 982528, "2026-10-15 15:00"),
    receipt("P005", "S003", "首付款", 1000000, "2026-10-27 15:00"),
]


def special(no: str, kind: str, sub: str, day: str, **fields: Any) -> dict[str, Any]:
    return {
        "事务编号": no,
        "事务类型": kind,
        "认购编号": sub,
        "办理日期": day,
        "审批单号": f"SP-{no}",
        "原因": "客户申请",
        **fields,
    }


def cli(app: Salesync, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", app.config.database_url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every cell of every sheet but 说明 (which names the scope)."""
    wb = load_workbook(path)
    return {
        ws.title: [[c.value for c in row] for row in ws.iter_rows()]
        for ws in wb.worksheets
        if ws.title != "说明"
    }


def export_all(app: Salesync, folder: Path, period: tuple[str, str] = OCTOBER) -> dict[str, Any]:
    out: dict[str, Any] = {}
    folder.mkdir()
    for report in [*REPORTS, "collections_due", "true_ups", "board"]:
        path = folder / f"{report}.xlsx"
        args = ["report", report, "--project", PROJECT, "--from", period[0], "--to", period[1]]
        cli(app, *args, "--at", period[1], "--out", str(path))
        out[report] = sheets(path)
    return out


def rows_of(table: list[list[Any]]) -> list[dict[str, Any]]:
    headers, *rows = table
    return [dict(zip(headers, row, strict=False)) for row in rows]


def october(app: Salesync, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    add_staff(app)
    master = signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    control = {"房间控制": [HOLD], "认购": DEALS, "签约": CONTRACTS, "特殊事务": []}
    outcome = ingest(app, "sales_control", control, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    money = {"收款": list(OCTOBER_RECEIPTS), "按揭": [], "事务处理": []}
    outcome = ingest(app, "finance", money, tmp_path / "finance" / "收款.xlsx", "finance")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    return master


def schedule_of(app: Salesync, no: str) -> list[tuple[str, dt.date, Decimal]]:
    with app.transaction() as session:
        sub = session.scalar(select(Subscription).where(Subscription.no == no))
        assert sub is not None
        return [(i.category, i.due_date, i.amount) for i in ledger.schedule(session, sub)]


def test_october_stands_after_november(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    master = october(app, tmp_path)
    before = export_all(app, tmp_path / "oct-1")

    # -- the hand check of October's 销售汇总表 as of Oct 31 -----------------------------------------
    summary = {r["楼栋"]: r for r in rows_of(before["sales_summary"]["销售汇总表"]) if r["项目"] != "合计"}
    one, two = summary["1栋"], summary["2栋"]
    assert (one["总套数"], one["总面积"], one["总货值"]) == (4, 445.0, 14307250.0)
    assert one["可售套数"] == 1  # R1, R2 subscribed, R4 held until Nov 10: only R3
    assert (one["认购套数"], one["认购面积"], one["认购金额"]) == (2, 220.5, 6925733.5)
    assert (one["签约套数"], one["签约面积"], one["签约金额"]) == (1, 109.75, 3441760.0)
    assert (one["退房套数"], one["累计签约套数"], one["累计签约金额"]) == (0, 1, 3441760.0)
    assert one["累计回款"] == 1082528.0 and one["去化率"] == 0.5
    assert (two["可售套数"], two["认购套数"], two["签约套数"], two["累计回款"]) == (3, 1, 1, 1050000.0)
    assert two["去化率"] == 0.25
    s003_before = schedule_of(app, "S003")

    # -- November -----------------------------------------------------------------------------------
    master["付款方案明细"][1]["比例"] = 0.2  # 30% → 20% down for future sales
    master["付款方案明细"][2]["比例"] = 0.8
    edit = ingest(app, "project_master", master, tmp_path / "master" / "项目资料.xlsx", "operator")
    sign_off(app, edit)
    assert schedule_of(app, "S003") == s003_before  # the plan edit does not reach an existing deal

    control = {
        "房间控制": [HOLD],
        "认购": [*DEALS, subscription("S004", R1, "2026-11-20", 3441760, area=109.75, unit=31360)],
        "签约": CONTRACTS,
        "特殊事务": [
            special("T001", "退房", "S001", "2026-11-05", 退款金额=1032528),
            special("T002", "换房", "S002", "2026-11-06", 新房间编码=R3, 新成交总价=3526383),
        ],
    }
    outcome = ingest(app, "sales_control", control, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    down = [a for c, _, a in schedule_of(app, "S004") if c == "首付款"]
    assert down == [D("3441760") * D("0.2") - 50000]  # the new deal takes the new plan
    money = {
        "收款": [
            *[r for r in OCTOBER_RECEIPTS if r["票据编号"] != "P005"],  # P005 deleted in November
            receipt("P005B", "S003", "首付款", 1000000, "2026-11-02 15:00"),
            receipt("P006", "S001", "退款", -1032528, "2026-11-08 10:00"),
            receipt("P007", "S004", "定金", 50000, "2026-11-20 10:00"),
        ],
        "按揭": [],
        "事务处理": [],
    }
    outcome = ingest(app, "finance", money, tmp_path / "finance" / "收款.xlsx", "finance")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    service = {
        "面积补差": [{"房间编码": B2, "实测建筑面积": 110.5, "实测套内面积": 90.25, "测绘日期": "2026-11-15"}]
    }
    outcome = ingest(app, "service", service, tmp_path / "service" / "销售服务.xlsx", "service")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors

    # -- October again: the same, cell for cell --------------------------------------------------
    again = export_all(app, tmp_path / "oct-2")
    for report in before:
        assert again[report] == before[report], report

    # -- November sees November ----------------------------------------------------------------------
    nov = export_all(app, tmp_path / "nov", NOVEMBER)
    summary = {r["楼栋"]: r for r in rows_of(nov["sales_summary"]["销售汇总表"]) if r["项目"] != "合计"}
    assert summary["1栋"]["退房套数"] == 1 and summary["1栋"]["累计签约套数"] == 0
    assert summary["1栋"]["可售套数"] == 2  # R2 freed by the 换房, R4's hold ran out; R1 taken by S004
    detail = {r["认购编号"]: r for r in rows_of(before["sales_detail"]["销售明细分析表"])}
    assert (detail["S001"]["状态"], detail["S001"]["已收金额"]) == ("签约", 1032528.0)

    # -- a receipt dated in October, entered now: October changes, and says why -------------------
    money["收款"].append(receipt("P008", "S003", "楼款", 20000, "2026-10-30 10:00"))
    outcome = ingest(app, "finance", money, tmp_path / "finance" / "收款.xlsx", "finance")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    late = tmp_path / "sales_detail-late.xlsx"
    cli(
        app,
        "report",
        "sales_detail",
        "--project",
        PROJECT,
        "--from",
        OCTOBER[0],
        "--to",
        OCTOBER[1],
        "--out",
        str(late),
    )
    rows = {r["认购编号"]: r for r in rows_of(sheets(late)["销售明细分析表"]) if r["认购编号"]}
    assert rows["S003"]["已收金额"] == 1070000.0
    assert "录入延迟" in rows["S003"]["较上次运行的变化"] and "P008" in rows["S003"]["较上次运行的变化"]
    assert rows["S001"]["较上次运行的变化"] is None and rows["S002"]["较上次运行的变化"] is None


def test_a_change_set_that_would_orphan_a_deal_is_refused(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    master = october(app, tmp_path)
    master["房间"] = [r for r in master["房间"] if r["房间编码"] != B2]
    outcome = ingest(app, "project_master", master, tmp_path / "master" / "项目资料.xlsx", "operator")
    assert outcome.change_set_id is None
    found = {(f.code, f.value) for f in outcome.errors}
    assert ("master-removes-sold-room", B2) in found
    assert any("S003" in f.message() for f in outcome.errors if f.code == "master-removes-sold-room")
    assert "master-orphans-deals" in {f.code for f in outcome.errors}


def test_a_price_change_of_a_sold_room_is_refused_at_its_cells(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    master = october(app, tmp_path)
    for room in master["房间"]:  # +1,000 a square metre for future sales
        room["单价"] += 1000
        room["总价"] = round(room["单价"] * room["建筑面积"], 2)
    outcome = ingest(app, "project_master", master, tmp_path / "master" / "项目资料.xlsx", "operator")
    assert outcome.change_set_id is None
    refused = sorted((f.value, f.header) for f in outcome.errors if f.code == "master-reprices-sold-room")
    assert refused == [(r, h) for r in (R1, R2, B2) for h in ("单价", "总价")]


def test_a_deal_made_after_submission_stops_the_signature(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    master = october(app, tmp_path)
    unsold = f"{PROJECT}-2-0301"
    master["房间"] = [r for r in master["房间"] if r["房间编码"] != unsold]
    outcome = ingest(app, "project_master", master, tmp_path / "master" / "项目资料.xlsx", "operator")
    assert outcome.change_set_id is not None, outcome.errors
    late_deal = subscription("S009", unsold, "2026-11-02", 3483973.50, area=110.75, unit=31458, customer=2)
    control = {"房间控制": [HOLD], "认购": [*DEALS, late_deal], "签约": CONTRACTS, "特殊事务": []}
    done = ingest(app, "sales_control", control, tmp_path / "control" / "销控.xlsx", "control")
    assert done.verdict is Verdict.ACCEPTED, done.errors
    with app.transaction() as session:
        shown = signing.review(session, outcome.change_set_id).as_dict()
    assert [o["deal"] for o in shown["orphans"]] == ["S009"]  # the signers see it before they sign
    with pytest.raises(signing.SigningRefused) as refused, app.transaction() as session:
        signing.sign(session, outcome.change_set_id, "senior", PASSWORD)
    assert refused.value.code == "sign-orphans-deals" and "S009" in str(refused.value)
    with app.transaction() as session:
        room = session.scalar(select(Room).where(Room.code == unsold))
        assert room is not None and room.removed_at is None


def test_the_migration_gives_existing_deals_their_plans_terms(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    october(app, tmp_path)
    before = schedule_of(app, "S003")
    cfg = alembic_config(app.engine)
    with app.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        # the books as they were just before the deal-terms migration: no copies of terms
        command.downgrade(cfg, str(ScriptDirectory.from_config(cfg).get_revision("0012").down_revision))
    upgrade(app.engine)
    with app.transaction() as session:
        copied = session.scalars(
            select(DealTermLine).order_by(DealTermLine.subscription_id, DealTermLine.seq)
        )
        assert {(line.category, line.amount) for line in copied if line.category == "定金"} == {
            ("定金", 50000)
        }
    assert schedule_of(app, "S003") == before
