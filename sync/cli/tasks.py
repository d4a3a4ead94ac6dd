"""``salesync tasks --as USERNAME``: 我的任务 of one account, as a table or as JSON.

Deadlines follow the Chinese working-day calendar. Years the chinese_calendar package does not know
come from an override file (``--holidays``, else ``SALESYNC_HOLIDAYS``, else ``holidays.toml`` in
the data directory); when a deadline falls in a year neither knows, a warning says so.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import click

from sync.cli.common import errors, service
from sync.cli.exits import NotDone
from sync.domain.closing import confirm_complete
from sync.domain.tasks import sort_key, tasks_for
from sync.domain.workdays import WorkCalendar
from sync.reconcile.cadence import cadence_tasks

HOLIDAYS_FILE = "holidays.toml"


def calendar_for(data_dir: Path, path: Path | None) -> WorkCalendar:
    """The working-day calendar with the override file, if one is configured or present."""
    chosen = path or (Path(os.environ["SALESYNC_HOLIDAYS"]) if os.environ.get("SALESYNC_HOLIDAYS") else None)
    if chosen is not None and not chosen.exists():
        raise NotDone(f"节假日覆盖文件不存在：{chosen}")
    return WorkCalendar.from_file(chosen or data_dir / HOLIDAYS_FILE)


@click.command()
@click.option("--as", "username", required=True, help="账号（查看谁的任务）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.option(
    "--today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="按哪一天计算（默认今天，上海时间）。"
)
@click.option(
    "--holidays",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="节假日覆盖文件（TOML：holidays = [...]，workdays = [...]）。",
)
@click.pass_context
def tasks(
    ctx: click.Context, username: str, as_json: bool, today: dt.datetime | None, holidays: Path | None
) -> None:
    """我的任务：催款、应签约、问卷、跟进、撞单、特殊事务、待签字、对账缺失等（按中国工作日计算期限）。"""
    app = service(ctx)
    calendar = calendar_for(app.config.data_dir, holidays)
    with errors():
        app.require_initialised()
        with app.transaction() as session:
            listing = tasks_for(session, username, today.date() if today else None, calendar)
            gaps = cadence_tasks(session, username, listing.today, calendar=calendar)
            if gaps:  # a controller's missing reconciliation checks (对账缺失), in the same order
                listing.tasks = sorted(listing.tasks + gaps, key=sort_key)
    for year in listing.calendar_fallback:
        click.echo(
            f"警告：{year} 年的法定节假日与调休安排未知（chinese_calendar 未收录，覆盖文件也未列出），"
            "该年期限暂按周一至周五计算；请在节假日覆盖文件中补充。",
            err=True,
        )
    if as_json:
        click.echo(json.dumps(listing.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{username} 的任务（{listing.today}）：共 {len(listing.tasks)} 项，逾期 {listing.overdue_count} 项"
    )
    for task in listing.tasks:
        due = task.due.isoformat() if task.due else "—"
        late = f"逾期 {task.overdue_days} 个工作日" if task.overdue else "未逾期"
        amount = f"  {task.amount:,.2f} 元" if task.amount is not None else ""
        click.echo(f"[{task.kind}] {task.subject}  {task.detail}{amount}  期限 {due}（{late}）")


@click.command("confirm")
@click.argument("special_no", metavar="事务编号")
@click.option("--as", "username", required=True, help="销控账号。")
@click.pass_context
def confirm(ctx: click.Context, special_no: str, username: str) -> None:
    """销控确认特殊事务（换房、退房、更名）已完成：财务处理后，任务列表一直显示到确认为止。"""
    app = service(ctx)
    with errors():
        app.require_initialised()
        with app.transaction() as session:
            tx = confirm_complete(session, special_no, username)
            click.echo(f"✓ 事务 {tx.no}（{tx.kind}）已确认完成")
