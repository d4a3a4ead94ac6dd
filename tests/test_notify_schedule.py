"""One scheduler, no duplicates: working-morning digests on the Chinese calendar, a restart that
missed the morning, two schedulers and two senders on one database, an SMTP outage, and the period
reports written into 报表/ with the controllers' cadence reminders."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from schema.base import SHANGHAI
from schema.models import NotifyDelivery, NotifyMessage, ScheduleRun
from sync.app import Salesync
from sync.notify.schedule import Scheduler
from sync.notify.sender import Sender, log_entries
from sync.watch.rules import is_candidate
from tests.notifying import SmtpServer, wait_for
from tests.signers import GM, sign_off
from tests.test_notify_events import LINK, deliver, mail, staff
from tests.workbooks import customer_rows, fill_template, master_rows

DIGEST = frozenset({"digest"})


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


def digests(app: Salesync) -> list[tuple[str, str]]:
    with app.sessions() as session:
        rows = session.scalars(
            select(NotifyMessage).where(NotifyMessage.kind == "digest").order_by(NotifyMessage.id)
        )
        return [(m.account.username, m.subject) for m in rows]


@pytest.fixture
def waiting_signers(notify_app: Salesync, tmp_path: Path) -> Salesync:
    """The office with a change set waiting: the senior manager and the GM each have one task."""
    staff(notify_app)
    notify_app.ingest(
        fill_template("project_master", master_rows("SZ-HW01"), tmp_path / "m.xlsx"), "operator"
    )
    return notify_app


def test_a_digest_each_working_morning_and_none_on_a_holiday(
    waiting_signers: Salesync, smtp: SmtpServer
) -> None:
    app = waiting_signers
    scheduler = Scheduler(app, "s1", jobs=DIGEST)
    assert scheduler.tick(at("2026-10-05", "09:00")) == []  # 国庆
    assert scheduler.tick(at("2026-10-11", "09:00")) == []  # an ordinary Sunday
    assert scheduler.tick(at("2026-10-10", "08:00")) == []  # a worked Saturday, before the digest time
    assert digests(app) == []

    assert scheduler.tick(at("2026-10-10", "08:30")) == [("digest", "2026-10-10", 2)]
    assert digests(app) == [
        ("senior", "我的任务 2026-10-10：1 项，0 项逾期"),
        (GM, "我的任务 2026-10-10：1 项，0 项逾期"),
    ]
    deliver(app)
    [morning] = [m for m in smtp.to(mail("senior")) if m.subject.startswith("我的任务")]
    assert "[签字]" in morning.body and "签字 1 项" in morning.body
    assert f"{LINK}/?kind=%E7%AD%BE%E5%AD%97" in morning.body
    assert scheduler.tick(at("2026-10-10", "17:00")) == []  # once a day


def test_a_restart_after_a_missed_morning_sends_the_digest_once(
    waiting_signers: Salesync, smtp: SmtpServer
) -> None:
    app = waiting_signers
    assert Scheduler(app, "before-crash", jobs=DIGEST).tick(at("2026-10-09", "07:00")) == []
    # down over 08:30; a new process comes up at 10:00, and another restart follows at 10:05
    restarted = Salesync(app.config)
    try:
        assert Scheduler(restarted, "after-restart", jobs=DIGEST).tick(at("2026-10-09", "10:00")) == [
            ("digest", "2026-10-09", 2)
        ]
        assert Scheduler(restarted, "again", jobs=DIGEST).tick(at("2026-10-09", "10:05")) == []
    finally:
        restarted.close()
    deliver(app)
    for person in ("senior", GM):
        assert len([m for m in smtp.to(mail(person)) if m.subject.startswith("我的任务")]) == 1


def test_two_schedulers_and_two_senders_on_one_database_send_each_message_once(
    waiting_signers: Salesync, smtp: SmtpServer
) -> None:
    app = waiting_signers
    other = Salesync(app.config)  # a second watcher process: its own engine and connections
    try:
        start = threading.Barrier(2)
        made: list[list[tuple[str, str, int]]] = []

        def schedule(service: Salesync, me: str) -> None:
            start.wait(30)
            made.append(Scheduler(service, me, jobs=DIGEST).tick(at("2026-10-09", "08:31")))

        def send(service: Salesync, me: str) -> None:
            start.wait(30)
            Sender(service, me).run_once(limit=1000)

        for work in (schedule, send):
            threads = [threading.Thread(target=work, args=(s, f"w{i}")) for i, s in enumerate((app, other))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            start.reset()
        assert sorted(made) == [[], [("digest", "2026-10-09", 2)]]
        with app.sessions() as session:
            assert session.scalar(select(func.count()).select_from(ScheduleRun)) == 1
            assert (
                session.scalar(
                    select(func.count()).select_from(NotifyMessage).where(NotifyMessage.state != "sent")
                )
                == 0
            )
            deliveries = session.execute(
                select(NotifyDelivery.message_id, func.count()).group_by(NotifyDelivery.message_id)
            ).all()
            assert deliveries and all(n == 1 for _, n in deliveries)
    finally:
        other.close()
    for person in ("senior", GM):
        subjects = [m.subject for m in smtp.to(mail(person))]
        assert len(subjects) == len(set(subjects)) == 2  # the change set to sign and the digest, once each


def test_an_smtp_outage_is_retried_and_recorded_and_the_ingest_only_writes_the_outbox(
    notify_app: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    staff(notify_app)
    notify_app.ingest(fill_template("customers", customer_rows(1), tmp_path / "a.xlsx"), "rep_a")
    smtp.stop()
    outcome = notify_app.ingest(fill_template("customers", customer_rows(1), tmp_path / "b.xlsx"), "rep_b")
    assert len(outcome.collisions) == 1
    with notify_app.sessions() as session:
        # the ingest recorded its messages and tried no channel
        assert session.scalar(select(func.count()).select_from(NotifyDelivery)) == 0
        assert {m.state for m in session.scalars(select(NotifyMessage))} == {"pending"}

    sender = Sender(notify_app, "sender")
    assert sender.run_once() == 2  # the manager and the rep; mail fails, the robot goes out
    with notify_app.sessions() as session:
        failed = [(d.account.username, d.channel) for d in log_entries(session) if d.outcome == "failed"]
        assert sorted(failed) == [
            ("manager", "email manager@example.com"),
            ("rep_b", "email rep_b@example.com"),
        ]
        waiting = session.scalars(select(NotifyMessage)).all()
        assert {(m.state, m.attempts) for m in waiting} == {("pending", 1)}
        assert all(m.last_error for m in waiting)

    smtp.start()
    wait_for(lambda: sender.run_once() == 0 and len(smtp.mails) == 2)
    with notify_app.sessions() as session:
        entries = [
            (d.account.username, d.channel, d.outcome, d.attempt) for d in reversed(log_entries(session))
        ]
    manager = [e for e in entries if e[0] == "manager"]
    assert manager[0] == ("manager", "email manager@example.com", "failed", 1)
    assert ("manager", "robot 销售群", "sent", 1) in manager  # not sent again on the retry
    assert manager[-1][1:3] == ("email manager@example.com", "sent")
    assert len([e for e in manager if e[1] == "robot 销售群"]) == 1


def test_the_weekly_reports_go_into_each_managers_folder_and_by_mail(
    notify_app: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    staff(notify_app)
    sign_off(
        notify_app,
        notify_app.ingest(
            fill_template("project_master", master_rows("SZ-HW01"), tmp_path / "m.xlsx"), "operator"
        ),
    )
    scheduler = Scheduler(notify_app, "s", jobs=frozenset({"report-week"}))
    assert scheduler.tick(at("2026-10-12", "08:00")) == [("report-week", "2026-W41", 5)]
    assert scheduler.tick(at("2026-10-14", "08:00")) == []
    folder = notify_app.config.drive_root / "SZ" / "manager" / "报表" / "周报" / "2026-W41"
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 7 and "SZ-HW01-销售明细分析表.xlsx" in files
    assert not any(is_candidate(p, notify_app.config.drive_root) for p in folder.iterdir())
    deliver(notify_app)
    [weekly] = [m for m in smtp.to(mail("manager")) if m.subject.startswith("周报表")]
    assert weekly.subject == "周报表 2026-W41"
    assert sorted(weekly.attachments) == files
    assert f"{LINK}/reports/" in weekly.body


def test_the_cadence_reminder_names_the_missing_reconciliations(
    notify_app: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    staff(notify_app)
    sign_off(
        notify_app,
        notify_app.ingest(
            fill_template("project_master", master_rows("SZ-HW01"), tmp_path / "m.xlsx"), "operator"
        ),
    )
    assert Scheduler(notify_app, "s", jobs=frozenset({"cadence"})).tick(at("2026-10-09", "09:00")) == [
        ("cadence", "2026-10-09", 3)
    ]
    deliver(notify_app)
    [finance] = [m for m in smtp.to(mail("finance")) if m.subject.startswith("对账提醒")]
    assert finance.subject == "对账提醒：6 项未完成"  # 2 reports × the last working day, week 40, September
    lines = finance.body.splitlines()
    assert "- SZ-HW01 收退款明细表（日：2026-10-08）" in lines
    assert "- SZ-HW01 收退款明细表（周：第 40 周（2026-09-28 至 2026-10-04））" in lines
    assert "- SZ-HW01 按揭情况列表（月：2026 年 09 月）" in lines
    assert f"{LINK}/reconcile/" in finance.body
    [manager] = [m for m in smtp.to(mail("manager")) if m.subject.startswith("对账提醒")]
    assert manager.subject == "对账提醒：2 项未完成"  # 销售汇总表: week and month only


def test_a_message_that_never_gets_through_is_given_up_as_failed_and_recorded(
    notify_app: Salesync, smtp: SmtpServer
) -> None:
    from sync.domain.accounts import add_region, add_user
    from sync.notify.channels import add_email
    from sync.notify.sender import send_test
    from tests.conftest import PASSWORD

    with notify_app.transaction() as session:
        add_region(session, "SZ", "深圳")
        add_user(session, "zhangli", name="张丽", roles=["sales_rep"], password=PASSWORD, region="SZ")
        add_email(session, "zhangli", "zhangli@example.com")
    smtp.stop()
    [first] = send_test(notify_app, "zhangli", "cli")
    assert first.outcome == "failed"
    sender = Sender(notify_app, "sender")
    wait_for(lambda: sender.run_once() == 0 and _state(notify_app) == "failed")
    with notify_app.sessions() as session:
        attempts = [d.attempt for d in reversed(log_entries(session)) if d.outcome == "failed"]
    assert attempts == list(range(1, 9))  # eight attempts, each recorded, then no more


def _state(app: Salesync) -> str:
    with app.sessions() as session:
        return session.scalars(select(NotifyMessage.state)).one()


def test_the_notifier_beside_the_watcher_delivers_on_its_own_thread(
    notify_app: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    from sync.notify.service import notifier_beside

    staff(notify_app)
    notify_app.ingest(fill_template("customers", customer_rows(1), tmp_path / "a.xlsx"), "rep_a")
    with notifier_beside(notify_app, interval=0.05):
        notify_app.ingest(fill_template("customers", customer_rows(1), tmp_path / "b.xlsx"), "rep_b")
        wait_for(lambda: len(smtp.to(mail("manager"))) == 1 and len(smtp.to(mail("rep_b"))) == 1)
    # the thread is gone (the leaked-thread check), and it ran the schedule too
    with notify_app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ScheduleRun)) >= 3  # the period reports
