"""The deal kinds' new rows are sealed by digest too: ``salesync audit verify --deep`` recomputes the
subscriptions, contracts, special transactions, room controls, receipts and move-ins a version
inserted, tells the changes later versions made (a 更名, a corrected receipt, an edited move-in)
from a value altered behind the log with plain SQL, and names that row, its column, the value
written and the value found — on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import Receipt, Subscription
from sync.app import Salesync
from sync.domain import sealed_audit
from tests.deals import (
    R1,
    add_staff,
    contract,
    ingest,
    receipt,
    registered_customers,
    signed_project,
    subscription,
)
from tests.test_sealed_audit import deep, sql
from tests.workbooks import phone

S1 = subscription("S001", R1, "2026-10-10", 3441760, area=109.75, unit=31360)
C1 = contract("C001", "S001", "2026-10-16", 3441760, area=109.75, unit=31360)


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    add_staff(app)
    signed_project(app, tmp_path)
    registered_customers(app, tmp_path)
    return app


def rename(no: str, day: str) -> dict[str, Any]:
    return {
        "事务编号": no,
        "事务类型": "更名",
        "认购编号": "S001",
        "办理日期": day,
        "审批单号": f"SP-{no}",
        "原因": "客户申请",
        "新客户姓名": "李娜",
        "新客户手机": phone(1),
    }


def deals_over_three_versions(site: Salesync, tmp_path: Path) -> None:
    """销控, 收款 and 销售服务, each first saved and then changed by a later version."""
    control = tmp_path / "control" / "销控.xlsx"
    rows: dict[str, list[dict[str, Any]]] = {"认购": [S1]}
    ingest(site, "sales_control", rows, control, "control")
    rows["签约"] = [C1]
    rows["特殊事务"] = [rename("T1", "2026-10-17")]  # changes the sealed subscription's 客户姓名 and 手机
    ingest(site, "sales_control", rows, control, "control")
    book = tmp_path / "finance" / "收款.xlsx"
    money = {"收款": [receipt("R001", "S001", "定金", 5000, "2026-10-10 10:00")]}
    ingest(site, "finance", money, book, "finance")
    money["收款"][0]["金额"] = 50000  # corrected: a new revision, the first one kept as deleted
    money["收款"].append(receipt("R002", "S001", "首付款", 100000, "2026-10-20 10:00"))
    ingest(site, "finance", money, book, "finance")
    service = tmp_path / "service" / "销售服务.xlsx"
    move = {"入伙": [{"房间编码": R1, "入伙日期": "2027-06-30", "办理人": "徐磊", "钥匙交付": "是"}]}
    ingest(site, "service", move, service, "service")
    move["入伙"][0]["办理人"] = "孙艳"  # the sealed move-in changed by the next version
    ingest(site, "service", move, service, "service")


def test_deal_rows_are_sealed_and_later_versions_are_not_tampering(site: Salesync, tmp_path: Path) -> None:
    deals_over_three_versions(site, tmp_path)
    with site.transaction() as session:
        sealed = [(e.entity, d["count"]) for e, d in sealed_audit.sealed_entries(session)]
    for table in ("subscription", "contract", "special_transaction", "move_in"):
        assert (table, 1) in sealed
    assert ("receipt", 1) in sealed and ("receipt", 2) in sealed  # R001; then R001's revision and R002
    code, report = deep(site)
    assert code == 0 and report["ok"], report["deep"]["message"]
    assert report["deep"]["later_changes"] == 2  # the renamed subscription, the move-in's new 办理人


def test_a_subscription_altered_behind_the_log_is_named(site: Salesync, tmp_path: Path) -> None:
    deals_over_three_versions(site, tmp_path)
    sql(site, "UPDATE subscription SET total_price = 1 WHERE no = 'S001'")
    code, report = deep(site)
    problem = report["deep"]
    assert code == 1 and (problem["problem"], problem["table"], problem["key"]) == (
        "seal-row-changed",
        "subscription",
        "S001",
    )
    assert (problem["column"], problem["expected"], problem["found"]) == ("成交总价", "3441760.00", "1.00")

    sql(site, "UPDATE subscription SET total_price = 3441760 WHERE no = 'S001'")  # put back: holds again
    assert deep(site)[0] == 0
    sql(site, "UPDATE subscription SET customer_name = '假名' WHERE no = 'S001'")  # a renamed column, too
    code, report = deep(site)
    assert code == 1 and (report["deep"]["key"], report["deep"]["found"]) == ("S001", "假名")


def test_a_receipt_altered_or_deleted_behind_the_log_is_named(site: Salesync, tmp_path: Path) -> None:
    deals_over_three_versions(site, tmp_path)
    with site.transaction() as session:
        live = session.scalar(select(Receipt.id).where(Receipt.no == "R002"))
        sub = session.scalar(select(Subscription.id).where(Subscription.no == "S001"))
    assert live is not None and sub is not None
    sql(site, "UPDATE receipt SET amount = 1 WHERE id = :i", i=live)
    code, report = deep(site)
    problem = report["deep"]
    assert code == 1 and (problem["table"], problem["key"], problem["column"]) == ("receipt", "R002", "金额")
    assert (problem["expected"], problem["found"]) == ("100000.00", "1.00")

    sql(site, "DELETE FROM receipt WHERE id = :i", i=live)
    code, report = deep(site)
    assert code == 1 and (report["deep"]["problem"], report["deep"]["table"]) == (
        "seal-row-missing",
        "receipt",
    )


def test_a_room_of_a_signed_load_altered_behind_the_log_is_named(site: Salesync, tmp_path: Path) -> None:
    """The signed initial load's new rooms are sealed by digest too (one entry per table)."""
    with site.transaction() as session:
        sealed = {e.entity: d for e, d in sealed_audit.sealed_entries(session)}
    assert {"project", "building", "room"} <= set(sealed) and sealed["room"]["log_sep"] == "/"
    assert deep(site)[0] == 0
    sql(site, "UPDATE room SET orientation = '正北' WHERE code = :c", c=R1)
    code, report = deep(site)
    problem = report["deep"]
    assert code == 1 and (problem["problem"], problem["table"], problem["key"]) == (
        "seal-row-changed",
        "room",
        R1,
    )
    assert problem["found"] == "正北"
