"""Builders for the dual-track tests: customers synced for real, and a controller's hand-made
来电来访明细表 of the same visits on its ``manual_report_calls_visits`` template."""

from __future__ import annotations

from pathlib import Path

from sync.app import Salesync
from sync.pipeline.outcome import Verdict
from tests.deals import PROJECT, signed_project
from tests.workbooks import customer_rows, fill_template

PERIOD = ("2026-11-01", "2026-11-30")
REPORT_NAME = "手工来电来访明细表.xlsx"
Rows = list[dict[str, object]]


def synced_visits(app: Salesync, people: dict[str, str], tmp_path: Path, count: int) -> Rows:
    """``count`` customers of rep_a first visited on 2026-11-10, synced through their workbook; the
    rows the system's 来电来访明细表 holds for them, as a controller would copy them by hand."""
    signed_project(app, tmp_path)
    rows = customer_rows(count, first_contact="2026-11-10")
    for i, event in enumerate(rows["客户事件"]):
        event["事件时间"] = f"2026-11-10 1{i}:30"
    outcome = app.ingest(fill_template("customers", rows, tmp_path / "rep_a" / "客户登记.xlsx"), "rep_a")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.findings
    return [
        {
            "事件时间": e["事件时间"],
            "置业顾问": people["rep_a"],
            "客户姓名": c["客户姓名"],
            "客户手机": c["手机号码"],
            "事件类型": e["事件类型"],
            "客户来源": c["客户来源"],
            "是否新客户": "是",
            "事件内容": e["事件内容"],
        }
        for c, e in zip(rows["客户"], rows["客户事件"], strict=True)
    ]


def manual_report_file(rows: Rows, path: Path, project: str = PROJECT) -> Path:
    """The hand-made report of ``rows`` for the project and November 2026, saved at ``path``."""
    scope = [{"项目编码": project, "期间起": PERIOD[0], "期间止": PERIOD[1]}]
    return fill_template("manual_report_calls_visits", {"来电来访明细表": rows, "范围": scope}, path)
