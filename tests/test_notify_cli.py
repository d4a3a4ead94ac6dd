"""``salesync notify``: a channel set from the command line, the test message on a real SMTP server,
the delivery log, and the 通知设置 page of the portal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from sync.app import Salesync
from sync.cli import main
from sync.domain import accounts
from tests.conftest import PASSWORD
from tests.notifying import RobotServer, SmtpServer
from web import create_app


@pytest.fixture
def configured(tmp_path: Path, database_url: str, smtp: SmtpServer, robots: RobotServer) -> list[str]:
    """A configuration file with the SMTP server and a robot, and an initialised database."""
    config = tmp_path / "salesync.toml"
    config.write_text(
        f"""[salesync]
database_url = "{database_url}"
data_dir = "{tmp_path / "data"}"

[salesync.notify]
base_url = "https://portal.example.com"
smtp = "{smtp.url}"

[salesync.notify.robots]
"销售群" = "{robots.url("wecom")}"
""",
        encoding="utf-8",
    )
    options = ["--config", str(config)]
    run(options, "init")
    run(options, "region", "add", "SZ", "深圳")
    run(
        options,
        "user",
        "add",
        "zhangli",
        "--name",
        "张丽",
        "--role",
        "sales_rep",
        "--region",
        "SZ",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    return options


def run(options: list[str], *args: str, input: str | None = None, code: int = 0) -> str:
    result = CliRunner().invoke(main, [*options, *args], input=input, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_notify_test_sends_to_every_channel_and_is_logged(
    configured: list[str], smtp: SmtpServer, robots: RobotServer
) -> None:
    out = run(configured, "notify", "test", "--as", "zhangli", code=1)
    assert "未设置通知渠道" in out  # nothing went out, and the command says so

    run(configured, "notify", "add", "zhangli", "--email", "zhangli@example.com")
    run(configured, "notify", "add", "zhangli", "--robot", "销售群")
    assert "没有名为“财务群”的机器人" in run(
        configured, "notify", "add", "zhangli", "--robot", "财务群", code=4
    )
    listed = run(configured, "notify", "channels", "zhangli")
    assert "email zhangli@example.com" in listed and "robot 销售群" in listed

    out = run(configured, "notify", "test", "--as", "zhangli")
    assert out.count("✓ 已发送") == 2
    [mail] = smtp.to("zhangli@example.com")
    assert mail.subject == "salesync 测试消息" and "张丽（zhangli）" in mail.body
    [post] = robots.at("wecom")
    assert post["title"] == "salesync 测试消息"

    log = run(configured, "notify", "log", "--as", "zhangli")
    assert log.count("sent") == 2 and "no_channel" in log


def test_a_personal_webhook_is_kept_encrypted(
    configured: list[str], robots: RobotServer, database_url: str
) -> None:
    secret_url = robots.url("feishu/s3cret")
    run(configured, "notify", "add", "zhangli", "--webhook-stdin", input=secret_url + "\n")
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(text("SELECT * FROM notify_channel")) for v in row)
    engine.dispose()
    assert "s3cret" not in stored and "127.0.0.1" not in stored
    run(configured, "notify", "test", "--as", "zhangli")
    assert len(robots.at("feishu/s3cret")) == 1


def test_the_portal_page_sets_channels_and_preferences(notify_app: Salesync, smtp: SmtpServer) -> None:
    with notify_app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳")
        accounts.add_user(
            session, "zhangli", name="张丽", roles=["sales_rep"], password=PASSWORD, region="SZ"
        )
        accounts.add_user(session, "lisi", name="李四", roles=["sales_rep"], password=PASSWORD, region="SZ")
        accounts.add_user(
            session, "sz_admin", name="孙敏", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
    portal = create_app(notify_app, {"TESTING": True})

    def login(username: str) -> FlaskClient:
        from tests.web.conftest import sign_in

        client = portal.test_client()
        sign_in(client, username)
        return client

    def token(client: FlaskClient, path: str) -> str:
        from tests.web.conftest import csrf_token

        return csrf_token(client, path)

    rep = login("zhangli")
    page = "/notify/u/zhangli"
    assert "尚未设置通知渠道" in rep.get(page, follow_redirects=True).get_data(as_text=True)
    done = rep.post(
        f"{page}/channels",
        data={"kind": "email", "address": "zhangli@example.com", "csrf_token": token(rep, page)},
    )
    assert done.status_code == 302
    assert (
        rep.post(f"{page}/channels", data={"kind": "email", "address": "x"}).status_code == 400
    )  # no CSRF token
    saved = rep.post(
        f"{page}/preferences",
        data={
            "quiet_start": "22:00",
            "quiet_end": "08:00",
            "mute-digest": "1",
            "csrf_token": token(rep, page),
        },
        follow_redirects=True,
    )
    html = saved.get_data(as_text=True)
    assert "zhangli@example.com" in html and 'value="22:00"' in html
    assert 'name="mute-digest" value="1" checked' in html
    assert rep.get("/notify/u/lisi").status_code == 403  # not someone else's
    assert rep.get("/notify/log").status_code == 403

    from sync.notify.sender import send_test

    send_test(notify_app, "zhangli", "portal-test")
    admin = login("sz_admin")
    assert admin.get("/notify/u/zhangli").status_code == 200  # an admin sets channels for the region
    log = admin.get("/notify/log?lang=en").get_data(as_text=True)
    assert "salesync test message" not in log  # the words are those of the service's language
    assert "salesync 测试消息" in log and "email zhangli@example.com" in log and "Sent" in log


def test_the_version_page_says_notified_only_once_a_message_went_out(
    notify_app: Salesync, smtp: SmtpServer, tmp_path: Path
) -> None:
    from sync.notify import channels
    from sync.notify.sender import Sender
    from tests.web.conftest import sign_in
    from tests.workbooks import customer_rows, fill_template

    with notify_app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳")
        for username, name, role in [
            ("rep_a", "张丽", "sales_rep"),
            ("rep_b", "李强", "sales_rep"),
            ("manager", "赵敏", "sales_manager"),
        ]:
            accounts.add_user(session, username, name=name, roles=[role], password=PASSWORD, region="SZ")
        channels.add_email(session, "manager", "manager@example.com")
    notify_app.ingest(fill_template("customers", customer_rows(1), tmp_path / "a.xlsx"), "rep_a")
    outcome = notify_app.ingest(fill_template("customers", customer_rows(1), tmp_path / "b.xlsx"), "rep_b")
    client = create_app(notify_app, {"TESTING": True}).test_client()
    sign_in(client, "manager")
    page = f"/versions/{outcome.version_id}"

    before = client.get(page).get_data(as_text=True)
    assert "赵敏（manager）：撞单：李强 录入了 1 位已有归属的客户 —" in before
    assert "待发送" in before and "已通知" not in before
    Sender(notify_app, "s").run_once()
    after = client.get(page).get_data(as_text=True)
    assert "已通知（email manager@example.com" in after
    assert "未发送：未设置通知渠道" in after  # rep_b has no channel: nothing claims otherwise
