"""``salesync sheets …``: online spreadsheets as workbooks — register, list, sync, make a template.

Registering needs no network; ``sync`` and ``template`` act as the service account whose key file is
``google_service_account`` in the configuration (or ``SALESYNC_GOOGLE_SERVICE_ACCOUNT``), with
gspread from the optional extra ``salesync[gsheets]``.
"""

from __future__ import annotations

import json

import click

from sync.cli.common import errors, service
from sync.cli.ingest import print_outcome
from sync.cli.sheet_lines import sheet_line
from sync.kinds import all_kinds, get_kind
from sync.pipeline.sheet_sync import default_connect, sync_sheets
from sync.sources import sheets as registry
from sync.sources.gsheets_template import create_template


@click.group()
def sheets() -> None:
    """在线表格（Google 表格）：登记、列出、同步、生成模板。"""


@sheets.command("add")
@click.argument("url")
@click.option("--as", "username", required=True, help="录入人账号：此表格的版本归其所有。")
@click.option("--kind", "kind_id", required=True, type=click.Choice(sorted(all_kinds())), help="工作簿类型。")
@click.pass_context
def add(ctx: click.Context, url: str, username: str, kind_id: str) -> None:
    """登记一个 Google 表格（链接或编号）为 USERNAME 的 KIND 工作簿。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        sheet = registry.register(session, url, username, kind_id)
        sheet_id, link = sheet.id, sheet.url
    click.echo(f"已登记在线表格 #{sheet_id}：{link}（{username}，{get_kind(kind_id).title}）")
    click.echo("请把表格共享给同步服务账号（编辑权限），然后运行 salesync sheets sync。")


@sheets.command("remove")
@click.argument("sheet_id", type=int)
@click.pass_context
def remove(ctx: click.Context, sheet_id: int) -> None:
    """停止同步一个在线表格（已有版本保留）。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        registry.unregister(session, sheet_id)
    click.echo(f"在线表格 #{sheet_id} 已停止同步")


@sheets.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """列出登记的在线表格及其最近一次同步。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        rows = registry.sheet_status(session)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(sheet_line(r))
        if r.error:
            click.echo(f"    ✗ {r.error}（第 {r.failures} 次失败，下次 {r.next_attempt}）")
    if not rows:
        click.echo("尚未登记在线表格")


@sheets.command("sync")
@click.option("--all", "force", is_flag=True, help="不等退避时间，立即检查每个表格。")
@click.option("--id", "only", type=int, default=None, help="只同步此编号的表格。")
@click.pass_context
def sync(ctx: click.Context, force: bool, only: int | None) -> None:
    """读取到期的在线表格；内容有变化时同步一个新版本，并把状态写回表格。

    退出码同 ingest（0 接收或无变化，1 部分接收，2 拒收，3 待确认）；有表格无法读取时为 4。"""
    app = service(ctx)
    with errors():
        app.require_initialised()
        results = sync_sheets(app, default_connect(app), force=force or only is not None, only=only)
    worst = 0
    for result in results:
        if result.outcome is not None:
            print_outcome(result.outcome, lang=app.config.lang)
            worst = max(worst, result.outcome.verdict.exit_code)
        elif result.state == "unchanged":
            click.echo(f"{result.url}：无变化")
        if result.error is not None:
            click.echo(f"✗ {result.url}：{result.error}", err=True)
            worst = max(worst, 4)
    if not results:
        click.echo("没有到期的在线表格")
    ctx.exit(worst)


@sheets.command("template")
@click.option("--kind", "kind_id", required=True, type=click.Choice(sorted(all_kinds())), help="工作簿类型。")
@click.option("--share", "email", required=True, help="共享给此 Google 账号（编辑权限）。")
@click.option("--as", "username", default=None, help="同时登记为此账号的工作簿。")
@click.option("--title", default=None, help="表格标题（默认：工作簿类型名称）。")
@click.pass_context
def template(ctx: click.Context, kind_id: str, email: str, username: str | None, title: str | None) -> None:
    """按工作簿类型新建一个 Google 表格模板（列名、提示、下拉列表、冻结表头），并共享。"""
    app = service(ctx)
    with errors():
        app.require_initialised()
        api = default_connect(app)()
        key = create_template(api, get_kind(kind_id), share_with=email, title=title)
        url = f"https://docs.google.com/spreadsheets/d/{key}"
        click.echo(f"已创建并共享给 {email}：{url}")
        if username:
            with app.transaction() as session:
                sheet = registry.register(session, url, username, kind_id)
                click.echo(f"已登记为在线表格 #{sheet.id}（{username}）")
