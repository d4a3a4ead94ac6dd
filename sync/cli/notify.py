"""``salesync notify …``: channels, a test message, the delivery log, and one turn of the scheduler
and sender (what ``salesync up`` and ``watch`` run on their own thread)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click

from schema.base import SHANGHAI
from schema.models.notify import SENT
from sync.cli.common import errors, service
from sync.domain.accounts import get_account
from sync.notify import channels
from sync.notify.sender import log_entries, send_test
from sync.notify.service import Notifier
from sync.watch.queue import worker_id


def _minute(at: dt.datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if at is not None else ""


@click.group()
def notify() -> None:
    """通知：渠道（邮件、企业微信/钉钉/飞书机器人）、测试消息、发送记录。"""


@notify.command("test")
@click.option("--as", "username", required=True, help="收件账号。")
@click.pass_context
def notify_test(ctx: click.Context, username: str) -> None:
    """立即给 USER 的每个通知渠道发一条测试消息，并显示结果（已记录在发送记录中）。"""
    app = service(ctx)
    with errors():
        app.require_initialised()
        deliveries = send_test(app, username, worker_id())
    for d in deliveries:
        mark = (
            "✓ 已发送"
            if d.outcome == SENT
            else ("✗ 未发送" if d.outcome != "no_channel" else "✗ 未设置通知渠道")
        )
        click.echo(f"{mark}  {d.channel}" + (f"：{d.detail}" if d.detail and d.outcome != SENT else ""))
    if not any(d.outcome == SENT for d in deliveries):
        ctx.exit(1)


@notify.command("log")
@click.option("--as", "username", default=None, help="只看这个账号的。")
@click.option("--limit", default=50, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def notify_log(ctx: click.Context, username: str | None, limit: int, as_json: bool) -> None:
    """发送记录：每次发送或失败——收件人、渠道、时间、结果。"""
    app = service(ctx)
    with errors(), app.sessions() as session:
        app.require_initialised()
        rows: list[dict[str, Any]] = [
            {
                "at": _minute(d.at),
                "account": d.account.username,
                "kind": d.message.kind,
                "subject": d.message.subject,
                "channel": d.channel,
                "outcome": d.outcome,
                "attempt": d.attempt,
                "detail": d.detail,
            }
            for d in log_entries(session, username=username, limit=limit)
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['at']}  {r['account']:<12} {r['outcome']:<10} {r['channel']:<30} {r['subject']}"
            + (f"（{r['detail']}）" if r["detail"] and r["outcome"] != SENT else "")
        )


@notify.command("run")
@click.pass_context
def notify_run(ctx: click.Context) -> None:
    """运行一次：到期的摘要、报表与对账提醒，并发送到期的消息（up / watch 会自动定时运行）。"""
    app = service(ctx)
    with errors():
        app.require_initialised()
        notifier = Notifier(app)
        ran = notifier.scheduler.tick()
        sent = notifier.sender.run_once(limit=1000)
    for job, period, made in ran:
        click.echo(f"{job} {period}：{made} 条消息")
    click.echo(f"处理了 {sent} 条待发消息")


@notify.command("add")
@click.argument("username")
@click.option("--email", default=None, help="电子邮件地址。")
@click.option("--robot", default=None, help="配置中 [salesync.notify.robots] 的机器人名称。")
@click.option("--webhook-stdin", is_flag=True, help="从标准输入读个人机器人地址（加密保存）。")
@click.pass_context
def channel_add(
    ctx: click.Context, username: str, email: str | None, robot: str | None, webhook_stdin: bool
) -> None:
    """给账号 USERNAME 添加一个通知渠道。"""
    app = service(ctx)
    if sum(map(bool, (email, robot, webhook_stdin))) != 1:
        raise click.UsageError("请给出 --email、--robot 或 --webhook-stdin 之一")
    with errors(), app.transaction() as session:
        if email:
            made = channels.add_email(session, username, email)
        else:
            url = sys.stdin.readline().strip() if webhook_stdin else None
            made = channels.add_robot(session, app.config, username, name=robot, url=url)
        click.echo(f"✓ {username}：{channels.describe(made)}（编号 {made.id}）")


@notify.command("channels")
@click.argument("username")
@click.pass_context
def channel_list(ctx: click.Context, username: str) -> None:
    """列出账号的通知渠道。"""
    app = service(ctx)
    with errors(), app.sessions() as session:
        account = get_account(session, username)
        for c in channels.channels_of(session, account.id):
            click.echo(f"{c.id:>4}  {channels.describe(c)}" + ("" if c.enabled else "（已停用）"))


@notify.command("remove")
@click.argument("username")
@click.argument("channel_id", type=int)
@click.pass_context
def channel_remove(ctx: click.Context, username: str, channel_id: int) -> None:
    """停用账号的一个通知渠道（记录保留）。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        account = get_account(session, username)
        channels.remove(session, account.id, channel_id)
    click.echo(f"✓ 已停用渠道 {channel_id}")
