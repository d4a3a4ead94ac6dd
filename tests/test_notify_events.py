"""Each event produces exactly one message to the right people, on their channels, with the right
link: a real SMTP server and a local robot receiver take the deliveries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import NotifyMessage, NotifySetting
from sync.app import Salesync
from sync.domain import accounts, signing
from sync.notify import channels
from sync.notify.sender import Sender
from sync.pipeline import notices as events
from sync.pipeline.outcome import Verdict
from tests.conftest import PASSWORD
from tests.deals import R1, ingest, subscription
from tests.notifying import RobotServer, SmtpServer
from tests.signers import GM, sign_off
from tests.workbooks import customer_rows, fill_template, master_rows, phone

LINK = "https://portal.example.com"
STAFF = [
    ("rep_a", "张丽", ["sales_rep"], "SZ"),
    ("rep_b", "李强", ["sales_rep"], "SZ"),
    ("operator", "王芳", ["operator"], "SZ"),
    ("manager", "赵敏", ["sales_manager"], "SZ"),
    ("senior", "陈刚", ["senior_manager"], "SZ"),
    (GM, "刘洋", ["region_gm"], "SZ"),
    ("control", "周静", ["sales_control"], "SZ"),
    ("finance", "吴娜", ["finance"], "SZ"),
    ("sz_admin", "孙敏", ["region_admin"], "SZ"),
    ("rep_c", "黄磊", ["sales_rep"], "GZ"),
    ("manager_gz", "何静", ["sales_manager"], "GZ"),
]


def mail(user: str) -> str:
    return f"{user}@example.com"


def staff(app: Salesync) -> None:
    """Two regions' people, each with an e-mail channel; the SZ manager also on the sales robot."""
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        accounts.add_region(session, "GZ", "广州地区公司")
        for username, name, roles, region in STAFF:
            accounts.add_user(session, username, name=name, roles=roles, password=PASSWORD, region=region)
            channels.add_email(session, username, mail(username))
        channels.add_robot(session, app.config, "manager", name="销售群")


def deliver(app: Salesync) -> int:
    return Sender(app, "test-sender").run_once(limit=1000)


def subjects(smtp: SmtpServer, user: str) -> list[str]:
    return sorted(m.subject for m in smtp.to(mail(user)))


@pytest.fixture
def office(notify_app: Salesync) -> Salesync:
    staff(notify_app)
    return notify_app


def test_a_collision_tells_the_manager_and_the_rep_who_owns_it(
    office: Salesync, smtp: SmtpServer, robots: RobotServer, tmp_path: Path
) -> None:
    office.ingest(fill_template("customers", customer_rows(3), tmp_path / "a.xlsx"), "rep_a")
    deliver(office)
    assert smtp.mails == [] and robots.posts == []  # a clean first entry tells nobody

    outcome = office.ingest(fill_template("customers", customer_rows(2), tmp_path / "b.xlsx"), "rep_b")
    assert len(outcome.collisions) == 2
    assert deliver(office) == 2
    [to_manager] = smtp.to(mail("manager"))
    assert to_manager.subject == "撞单：李强 录入了 2 位已有归属的客户"
    assert "张丽（rep_a）" in to_manager.body and "b.xlsx" in to_manager.body
    assert f"{LINK}/customers/" in to_manager.body
    [robot] = robots.at("wecom")  # the manager's second channel, the sales group robot
    assert robot["title"] == to_manager.subject and f"{LINK}/customers/" in robot["message"]
    [to_rep] = smtp.to(mail("rep_b"))
    assert "张丽（rep_a）" in to_rep.body and f"{LINK}/versions/{outcome.version_id}" in to_rep.body
    assert smtp.to(mail("rep_a")) == [] and smtp.to(mail("manager_gz")) == []

    # the same workbook saved again: no new collision, no new message
    rows = customer_rows(2)
    rows["客户"][0]["备注"] = "再次来访"
    office.ingest(fill_template("customers", rows, tmp_path / "b.xlsx"), "rep_b")
    assert deliver(office) == 0


def test_a_rep_of_another_region_learns_only_that_the_customer_is_registered(
    office: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    office.ingest(fill_template("customers", customer_rows(1), tmp_path / "a.xlsx"), "rep_a")
    office.ingest(fill_template("customers", customer_rows(1), tmp_path / "c.xlsx"), "rep_c")
    deliver(office)
    [to_rep] = smtp.to(mail("rep_c"))
    assert "已被登记" in to_rep.body
    assert "张丽" not in to_rep.body and "rep_a" not in to_rep.body
    [to_manager] = smtp.to(mail("manager_gz"))  # the entering rep's region settles it
    assert "张丽（rep_a）" in to_manager.body
    assert smtp.to(mail("manager")) == []


def test_a_change_set_tells_its_signers_then_its_operator(
    office: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    outcome = office.ingest(
        fill_template("project_master", master_rows("SZ-HW01"), tmp_path / "项目资料.xlsx"), "operator"
    )
    cs = outcome.change_set_id
    assert cs is not None
    deliver(office)
    for signer in ("senior", GM):
        [waiting] = smtp.to(mail(signer))
        assert waiting.subject == f"变更单 #{cs} 待你签字"
        assert f"{LINK}/changes/{cs}" in waiting.body and "SZ-HW01" in waiting.body
    assert smtp.to(mail("operator")) == [] and smtp.to(mail("manager")) == []

    sign_off(office, outcome)
    deliver(office)
    [applied] = smtp.to(mail("operator"))
    assert applied.subject == f"变更单 #{cs} 已生效" and f"{LINK}/changes/{cs}" in applied.body
    assert len(smtp.mails) == 3


def test_a_rejected_change_set_tells_its_operator_why(
    office: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    outcome = office.ingest(
        fill_template("project_master", master_rows("SZ-HW01"), tmp_path / "项目资料.xlsx"), "operator"
    )
    assert outcome.change_set_id is not None
    with office.transaction() as session:
        signing.reject(session, outcome.change_set_id, "senior", PASSWORD, "户型面积有误")
    deliver(office)
    [rejected] = smtp.to(mail("operator"))
    assert rejected.subject == f"变更单 #{outcome.change_set_id} 被驳回"
    assert "户型面积有误" in rejected.body and "陈刚（senior）" in rejected.body


def test_nothing_is_sent_for_a_signature_that_rolled_back(
    office: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    outcome = office.ingest(
        fill_template("project_master", master_rows("SZ-HW01"), tmp_path / "项目资料.xlsx"), "operator"
    )
    assert outcome.change_set_id is not None
    with pytest.raises(RuntimeError), office.transaction() as session:
        signing.reject(session, outcome.change_set_id, "senior", PASSWORD, "户型面积有误")
        raise RuntimeError("the request failed after signing")
    deliver(office)
    assert smtp.to(mail("operator")) == []


def _site(app: Salesync, tmp_path: Path) -> None:
    outcome = app.ingest(
        fill_template("project_master", master_rows("SZ-HW01"), tmp_path / "master" / "项目资料.xlsx"),
        "operator",
    )
    sign_off(app, outcome)
    rows = customer_rows(1, first_contact="2026-09-20")
    app.ingest(fill_template("customers", rows, tmp_path / "rep_a" / "客户登记.xlsx"), "rep_a")


def test_a_special_transaction_tells_finance_and_its_completion_tells_sales_control(
    office: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    _site(office, tmp_path)
    deliver(office)
    smtp.mails.clear()
    sale = subscription("S001", R1, "2026-10-10", 3441760, area=109.75, unit=31360)
    rename = {
        "事务编号": "T001",
        "事务类型": "更名",
        "认购编号": "S001",
        "办理日期": "2026-10-12",
        "审批单号": "SP-1",
        "原因": "客户申请",
        "新客户姓名": "李娜",
        "新客户手机": phone(1),
    }
    book = tmp_path / "control" / "销控.xlsx"
    done = ingest(office, "sales_control", {"认购": [sale], "特殊事务": [rename]}, book, "control")
    assert done.verdict is Verdict.ACCEPTED, done.errors
    deliver(office)
    [to_finance] = smtp.to(mail("finance"))
    assert to_finance.subject == "特殊事务 T001（更名）待财务处理"
    assert "S001" in to_finance.body and "SP-1" in to_finance.body
    assert f"{LINK}/?kind=%E7%89%B9%E6%AE%8A%E4%BA%8B%E5%8A%A1" in to_finance.body
    assert [m.to for m in smtp.mails] == [[mail("finance")]]

    money: dict[str, list[dict[str, Any]]] = {
        "收款": [],
        "按揭": [],
        "事务处理": [{"事务编号": "T001", "处理日期": "2026-10-13", "处理说明": "已换开收据"}],
    }
    finished = ingest(office, "finance", money, tmp_path / "finance" / "收款.xlsx", "finance")
    assert finished.verdict is not Verdict.REJECTED, finished.errors
    deliver(office)
    [to_control] = smtp.to(mail("control"))
    assert to_control.subject == "特殊事务 T001（更名）财务已处理"
    assert "已换开收据" in to_control.body and f"{LINK}/versions/{finished.version_id}" in to_control.body
    assert len(smtp.mails) == 2


def test_a_rejected_workbook_tells_its_author_the_first_errors(
    office: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    rows = customer_rows(8)
    for row in rows["客户"]:
        row["手机号码"] = "1380013"
    outcome = office.ingest(fill_template("customers", rows, tmp_path / "客户登记.xlsx"), "rep_a")
    assert outcome.verdict is Verdict.REJECTED
    deliver(office)
    [rejected] = smtp.to(mail("rep_a"))
    assert rejected.subject == "工作簿未同步：客户登记.xlsx"
    assert "1380013" in rejected.body and "第2行" in rejected.body
    assert "另 " in rejected.body  # more errors than the five shown
    assert f"{LINK}/versions/{outcome.version_id}" in rejected.body
    assert len(smtp.mails) == 1


def test_a_fault_tells_the_admins_once_a_day(office: Salesync, smtp: SmtpServer) -> None:
    for _ in range(2):
        events.fault(office, "watch-failed", "OSError: disk full", "/drive/SZ/rep_a/客户登记.xlsx")
    deliver(office)
    [fault] = smtp.to(mail("sz_admin"))
    assert fault.subject.startswith("同步故障：文件处理失败")
    assert "disk full" in fault.body and f"{LINK}/versions/health" in fault.body
    assert len(smtp.mails) == 1


def test_an_opted_out_kind_is_not_sent_and_quiet_hours_wait(
    office: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    with office.transaction() as session:
        rep_b = accounts.get_account(session, "rep_b")
        manager = accounts.get_account(session, "manager")
        session.add(NotifySetting(account_id=rep_b.id, muted="collision"))
        session.add(NotifySetting(account_id=manager.id, quiet_start="00:00", quiet_end="23:59"))
    office.ingest(fill_template("customers", customer_rows(1), tmp_path / "a.xlsx"), "rep_a")
    office.ingest(fill_template("customers", customer_rows(1), tmp_path / "b.xlsx"), "rep_b")
    deliver(office)
    assert smtp.mails == []
    with office.sessions() as session:
        waiting = session.scalars(select(NotifyMessage)).all()
        assert [(m.account.username, m.state) for m in waiting] == [("manager", "pending")]
        assert waiting[0].next_attempt_at > waiting[0].created_at


def test_a_watcher_that_loses_its_drive_tells_the_admins(
    office: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    from sync.watch.service import Watcher, WatchSettings

    Watcher(office, tmp_path / "offline-share", WatchSettings(once=True)).run()
    deliver(office)
    [fault] = smtp.to(mail("sz_admin"))
    assert fault.subject == "同步故障：共享盘目录不可用" and "offline-share" in fault.body
