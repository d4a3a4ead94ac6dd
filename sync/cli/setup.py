"""``salesync init``, ``region …`` and ``user …``: the database and the accounts (the server operator's tools)."""

from __future__ import annotations

import json
import sys
from typing import Any, cast

import click
from sqlalchemy import select

from schema.models import Account
from schema.roles import Role
from sync.cli.common import errors, service
from sync.domain import accounts
from sync.domain.names import normalise_username
from sync.domain.passwords import weakness
from validators.messages import render


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """创建或升级数据库（可重复执行）。"""
    app = service(ctx)
    with errors():
        app.init()
    click.echo(f"数据库已就绪：{app.engine.url.render_as_string(hide_password=True)}")


# -- regions and users ---------------------------------------------------------------------------------


@click.group()
def region() -> None:
    """地区公司。"""


@region.command("add")
@click.argument("code")
@click.argument("name")
@click.pass_context
def region_add(ctx: click.Context, code: str, name: str) -> None:
    """新建地区 CODE NAME。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        accounts.add_region(session, code, name)
    click.echo(f"已新建地区 {code} {name}")


@click.group()
def user() -> None:
    """用户账号（个人账号，停用而不删除）。"""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="姓名。")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="角色，可重复。",
)
@click.option("--region", "region_code", help="所属地区编码（集团角色可省略）。")
@click.option("--project", "projects", multiple=True, help="限定的项目编码，可重复。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（用于脚本）。")
@click.pass_context
def user_add(
    ctx: click.Context,
    username: str,
    name: str,
    roles: tuple[str, ...],
    region_code: str | None,
    projects: tuple[str, ...],
    password_stdin: bool,
) -> None:
    """新建用户 USERNAME。"""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("非交互运行时请用 --password-stdin 提供密码")
    weak = weakness(password, normalise_username(username))
    if weak is not None:
        raise click.UsageError(render(weak[0], "zh", **weak[1]))
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        accounts.add_user(
            session,
            username,
            name=name,
            roles=roles,
            password=password,
            region=region_code,
            projects=projects,
        )
    click.echo(f"已新建用户 {username}（{name}）：{'、'.join(Role(r).title_zh for r in roles)}")


@user.command("disable")
@click.argument("username")
@click.pass_context
def user_disable(ctx: click.Context, username: str) -> None:
    """立即停用用户（历史记录保留）。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        accounts.disable_user(session, username)
    click.echo(f"已停用用户 {username}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """列出用户。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        rows: list[dict[str, Any]] = [
            {
                "username": a.username,
                "name": a.display_name,
                "region": a.region.code if a.region else None,
                "roles": sorted(a.role_keys),
                "active": a.active,
            }
            for a in session.scalars(select(Account).order_by(Account.username))
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = "" if r["active"] else "（已停用）"
        click.echo(
            f"{r['username']:<16} {r['name']:<8} {r['region'] or '集团':<8} {','.join(cast(list[str], r['roles']))}{state}"
        )


# -- workbooks -------------------------------------------------------------------------------------------
