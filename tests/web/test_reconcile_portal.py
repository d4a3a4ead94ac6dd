"""双轨对账 in the portal: upload a manual report, review its mismatches, explain them, download the
marked workbook; roles and regions; through the real app, service and database."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from schema.models import Project, ReconciliationItem, ReconciliationRun, StoredFile, WorkbookVersion
from sync.app import Salesync
from sync.domain import accounts
from tests.conftest import PASSWORD
from tests.deals import PROJECT
from tests.manual_reports import PERIOD, REPORT_NAME, Rows, manual_report_file, synced_visits
from tests.web.conftest import csrf_token, sign_in
from tests.workbooks import customer_rows, fill_template, phone


@pytest.fixture
def visits(app: Salesync, people: dict[str, str], tmp_path: Path) -> Rows:
    """Three customers of rep_a first visited on 2026-11-10: the system's 来电来访明细表 rows."""
    return synced_visits(app, people, tmp_path, 3)


def manual_report(tmp_path: Path, rows: Rows, project: str = PROJECT) -> bytes:
    return manual_report_file(rows, tmp_path / "built" / REPORT_NAME, project).read_bytes()


def upload(client: FlaskClient, data: bytes, name: str = REPORT_NAME, **form: str) -> Any:
    token = csrf_token(client, "/reconcile/")
    fields: dict[str, Any] = {"csrf_token": token, "file": (io.BytesIO(data), name), **form}
    return client.post("/reconcile/upload", data=fields, content_type="multipart/form-data")


def run_id_of(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    found = re.fullmatch(r"/reconcile/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


class _Table(HTMLParser):
    """The body rows of the table with a given id: each row's id and its cells' classes and text."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = self.body = False
        self.rows: list[tuple[str, list[tuple[set[str], str]]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.body = True
        elif self.body and tag == "tr":
            self.rows.append((a.get("id") or "", []))
        elif self.body and tag == "td":
            self.cell = [a.get("class") or "", ""]

    def handle_endtag(self, tag: str) -> None:
        if self.body and tag == "td" and self.cell is not None:
            self.rows[-1][1].append((set(self.cell[0].split()), " ".join(self.cell[1].split())))
            self.cell = None
        elif self.inside and tag == "table":
            self.inside = self.body = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell[1] += data


def table(html: str, table_id: str) -> list[tuple[str, list[tuple[set[str], str]]]]:
    parser = _Table(table_id)
    parser.feed(html)
    return parser.rows


def count(app: Salesync, model: type[Any]) -> int:
    with app.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def one_cell_off(visits: Rows) -> Rows:
    rows = [dict(v) for v in visits]
    rows[1]["事件内容"] = "问价格"  # Excel row 3; the system says 看样板间
    return rows


def test_an_upload_shows_exactly_the_differing_cell_with_both_values(
    app: Salesync, login: Callable[..., FlaskClient], visits: Rows, tmp_path: Path
) -> None:
    client = login("manager")
    report = manual_report(tmp_path, one_cell_off(visits))
    run_id = run_id_of(upload(client, report))

    page = client.get(f"/reconcile/{run_id}").get_data(as_text=True)
    ((_, cells),) = table(page, "mismatches")
    texts = [text for _classes, text in cells]
    assert texts[1:7] == [
        "单元格不一致",
        f"{phone(1)} / 2026-11-10 11:30 / 首次来访",
        "3",
        "事件内容",
        "问价格",
        "看样板间",
    ]
    assert "diff" in cells[5][0] and "diff" in cells[6][0]
    assert "手工 3 行，系统 3 行，一致匹配 2 行" in page  # the row with a differing cell is not matched

    listing = client.get("/reconcile/").get_data(as_text=True)
    ((_, run_cells),) = table(listing, "runs")
    assert [text for _c, text in run_cells][:2] == ["来电来访明细表", PROJECT]
    assert [text for _c, text in run_cells][4:] == ["赵敏（manager）", "0", "0", "1", "0 / 1", "1 项待说明"]
    with app.transaction() as session:
        run = session.scalars(select(ReconciliationRun)).one()
        assert run.account_id == accounts.get_account(session, "manager").id and run.version_id is not None

    # The same file again is the same run, and the page says so.
    again = upload(client, report)
    assert run_id_of(again) == run_id and count(app, ReconciliationRun) == 1
    assert "与之前对账过的完全相同" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_explaining_a_mismatch_marks_it_with_who_and_when(
    app: Salesync, login: Callable[..., FlaskClient], visits: Rows, tmp_path: Path
) -> None:
    client = login("manager")
    run_id = run_id_of(upload(client, manual_report(tmp_path, one_cell_off(visits))))
    with app.transaction() as session:
        item_id = session.scalars(select(ReconciliationItem.id)).one()
    target = f"/reconcile/{run_id}/items/{item_id}/explain"

    refused = client.post(target, data={"reason": "手工错误"})  # no CSRF token
    assert refused.status_code == 400
    token = csrf_token(client, f"/reconcile/{run_id}")
    client.post(target, data={"csrf_token": token, "reason": "不知道"})  # not a reason
    with app.transaction() as session:
        assert session.get(ReconciliationItem, item_id).explained_at is None  # type: ignore[union-attr]

    done = client.post(target, data={"csrf_token": token, "reason": "手工错误", "note": "手工表抄错"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    ((_, cells),) = table(page, "mismatches")
    assert cells[7][1].startswith("✓ 手工错误：手工表抄错 赵敏（manager） · 20")
    assert "差异已全部说明" in page
    assert "没有符合条件的差异" in client.get(f"/reconcile/{run_id}?unexplained=1").get_data(as_text=True)
    with app.transaction() as session:
        item = session.get(ReconciliationItem, item_id)
        assert item is not None and (item.explanation, item.note) == ("手工错误", "手工表抄错")
        assert item.explained_by_id == accounts.get_account(session, "manager").id


def test_the_export_is_the_manual_workbook_with_the_differing_cell_highlighted(
    login: Callable[..., FlaskClient], visits: Rows, tmp_path: Path
) -> None:
    client = login("manager")
    run_id = run_id_of(upload(client, manual_report(tmp_path, one_cell_off(visits))))
    response = client.get(f"/reconcile/{run_id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        f"filename*=UTF-8''{quote('手工来电来访明细表.对账.xlsx')}" in response.headers["Content-Disposition"]
    )

    marked = load_workbook(io.BytesIO(response.data))
    ws = marked["来电来访明细表"]
    headers = [c.value for c in ws[1]]
    cell = ws.cell(3, headers.index("事件内容") + 1)
    assert cell.value == "问价格" and cell.fill.fgColor.rgb == "FFFFC7CE"
    assert cell.comment is not None and "看样板间" in cell.comment.text
    others = [ws.cell(r, c + 1) for r in (2, 4) for c in range(len(headers))]
    assert all(c.fill.fgColor.rgb != "FFFFC7CE" for c in others)
    assert "对账结果" in marked.sheetnames


def test_an_own_sheet_needs_the_report_and_scope_and_exports_too(
    app: Salesync, login: Callable[..., FlaskClient], visits: Rows
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "11月来访"
    headers = ["备注", *reversed(list(visits[0]))]
    ws.append(headers)
    for v in one_cell_off(visits):
        ws.append(["", *[v[h] for h in headers[1:]]])
    data = io.BytesIO()
    wb.save(data)
    client = login("manager")

    refused = upload(client, data.getvalue(), "我的来访表.xlsx")
    assert refused.status_code == 400
    assert "请选择报表并填写项目编码、期间起和期间止" in refused.get_data(as_text=True)
    assert count(app, ReconciliationRun) == 0

    scope = {"report": "calls_visits", "project": PROJECT, "period_from": PERIOD[0], "period_to": PERIOD[1]}
    run_id = run_id_of(upload(client, data.getvalue(), "我的来访表.xlsx", **scope))
    ((_, cells),) = table(client.get(f"/reconcile/{run_id}").get_data(as_text=True), "mismatches")
    assert [text for _c, text in cells][4:7] == ["事件内容", "问价格", "看样板间"]
    exported = client.get(f"/reconcile/{run_id}/export")
    assert quote("我的来访表.对账.xlsx") in exported.headers["Content-Disposition"]
    marked = load_workbook(io.BytesIO(exported.data))["11月来访"]
    column = [c.value for c in marked[1]].index("事件内容") + 1
    assert marked.cell(3, column).fill.fgColor.rgb == "FFFFC7CE"


def _corrupt(tmp_path: Path) -> bytes:
    return manual_report(tmp_path, [])[:2000]  # a download cut short


def _text(_tmp_path: Path) -> bytes:
    return "项目,期间\nSZ-HW01,2026-11\n".encode()


def _customers(tmp_path: Path) -> bytes:
    return fill_template("customers", customer_rows(1), tmp_path / "客户登记.xlsx").read_bytes()


@pytest.mark.parametrize(
    ("make", "name", "words"),
    [
        (_corrupt, REPORT_NAME, "工作簿已损坏，无法打开"),
        (_text, REPORT_NAME, "这不是 Excel 工作簿（.xlsx）"),
        (_text, "来访.csv", "请选择一个 .xlsx 工作簿上传"),
        (_customers, "客户登记.xlsx", "不是手工报表"),
    ],
)
def test_a_bad_upload_is_refused_in_words_and_writes_nothing(
    app: Salesync,
    login: Callable[..., FlaskClient],
    people: dict[str, str],
    tmp_path: Path,
    make: Callable[[Path], bytes],
    name: str,
    words: str,
) -> None:
    client = login("manager")
    response = upload(client, make(tmp_path), name)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and words in page and "Traceback" not in page
    assert [count(app, m) for m in (ReconciliationRun, WorkbookVersion, StoredFile)] == [0, 0, 0]


def test_a_sales_rep_is_refused(login: Callable[..., FlaskClient], people: dict[str, str]) -> None:
    client = login("rep_a")
    assert client.get("/reconcile/").status_code == 403
    assert client.get("/reconcile/1").status_code == 403
    assert client.get("/reconcile/1/export").status_code == 403
    token = csrf_token(client, "/")
    response = client.post(
        "/reconcile/upload",
        data={"csrf_token": token, "file": (io.BytesIO(b"x"), REPORT_NAME)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


def test_another_regions_runs_are_refused(
    app: Salesync, portal: Flask, login: Callable[..., FlaskClient], people: dict[str, str], tmp_path: Path
) -> None:
    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
        session.add(Project(code="GZ-TH01", name="天河项目", region_code="GZ", pricing_basis="建筑面积"))
        accounts.add_user(
            session, "gz_manager", name="孙悦", roles=["sales_manager"], password=PASSWORD, region="GZ"
        )
        accounts.add_user(session, "boss", name="钱总", roles=["executive"], password=PASSWORD)
    gz = portal.test_client()
    sign_in(gz, "gz_manager")
    row = {"事件时间": "2026-11-12 09:00", "客户手机": phone(7), "事件类型": "首次来访", "客户姓名": "周航"}
    report = manual_report(tmp_path, [row], project="GZ-TH01")
    run_id = run_id_of(upload(gz, report))
    ((_, cells),) = table(gz.get(f"/reconcile/{run_id}").get_data(as_text=True), "mismatches")
    assert cells[1][1] == "仅手工有" and "only-manual" in cells[1][0]
    assert "客户姓名" in cells[5][1] and "周航" in cells[5][1]  # the row shown whole, not just its key

    sz = login("manager")
    assert "GZ-TH01" not in sz.get("/reconcile/").get_data(as_text=True)
    assert sz.get(f"/reconcile/{run_id}").status_code == 404
    assert sz.get(f"/reconcile/{run_id}/export").status_code == 404
    with app.transaction() as session:
        item_id = session.scalars(select(ReconciliationItem.id)).one()
    token = csrf_token(sz, "/reconcile/")
    explain = sz.post(
        f"/reconcile/{run_id}/items/{item_id}/explain", data={"csrf_token": token, "reason": "其他"}
    )
    assert explain.status_code == 404
    refused = upload(sz, report)
    assert refused.status_code == 400 and "不属于您的地区" in refused.get_data(as_text=True)
    assert count(app, ReconciliationRun) == 1

    boss = portal.test_client()
    sign_in(boss, "boss")
    assert "GZ-TH01" in boss.get("/reconcile/").get_data(as_text=True)
    assert boss.get(f"/reconcile/{run_id}").status_code == 200


def test_the_cadence_lists_the_checks_not_yet_made(
    login: Callable[..., FlaskClient], visits: Rows, tmp_path: Path
) -> None:
    client = login("manager")
    run_id_of(upload(client, manual_report(tmp_path, visits)))
    page = client.get(f"/reconcile/?gap_project={PROJECT}&gap_from={PERIOD[0]}&gap_to={PERIOD[1]}").get_data(
        as_text=True
    )
    gaps = {row_id: [text for _c, text in cells] for row_id, cells in table(page, "cadence")}
    daily, weekly, monthly = gaps["gaps-calls_visits"][1:]
    assert daily.startswith("缺 21 次") and weekly.startswith("缺 4 次") and monthly == "✓ 已核对"
    assert gaps["gaps-sales_summary"][1] == "—"
    assert gaps["gaps-sales_detail"][3].startswith("缺 1 次")
