"""``salesync project calendar …``: which working-day calendar a project's deadlines follow
(:mod:`sync.domain.office_calendar`). Refusals become words at ``sync.cli``'s one boundary."""

from __future__ import annotations

import datetime as dt

import click

from sync.cli.common import errors, service
from sync.domain import office_calendar
from sync.domain.accounts import get_account


@click.group()
def project() -> None:
    """项目设置。"""


@project.command("calendar")
@click.argument("code")
@click.option(
    "--every-day",
    "mode",
    flag_value="every-day",
    help="案场节假日照常营业：每天都是工作日（声明的休息日除外）。",
)
@click.option("--statutory", "mode", flag_value="statutory", help="按国家法定节假日与调休安排（默认）。")
@click.option(
    "--day-off",
    "days_off",
    multiple=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="案场休息日（与 --every-day 一起使用），可重复。",
)
@click.option("--as", "username", help="设置人账号（集团或本地区系统管理员）；省略时只显示当前设置。")
@click.pass_context
def calendar(
    ctx: click.Context, code: str, mode: str | None, days_off: tuple[dt.datetime, ...], username: str | None
) -> None:
    """项目 CODE 的期限按哪个工作日历计算：法定日历，或案场自己的日历（每天营业，声明的休息日除外）。"""
    if (mode is None) != (username is None):
        raise click.UsageError("设置日历须同时给出 --every-day 或 --statutory 与 --as")
    if days_off and mode != "every-day":
        raise click.UsageError("--day-off 只能与 --every-day 一起使用")
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        if mode is not None and username is not None:
            actor = get_account(session, username)
            office_calendar.declare(
                session, actor, code, every_day=mode == "every-day", days_off=[d.date() for d in days_off]
            )
        declared = session.get(office_calendar.OfficeCalendar, code)
        if declared is None:
            click.echo(f"项目 {code}：按国家法定节假日与调休安排计算期限")
        else:
            off = declared.days_off.replace(",", "、") or "无"
            click.echo(f"项目 {code}：案场节假日照常营业，每天都是工作日；休息日：{off}")
