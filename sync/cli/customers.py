"""``salesync collisions …`` (settling 撞单) and ``salesync customers …`` (dormant customers and
their reassignment): thin Click commands over :mod:`sync.domain.ownership`, which decides who may act;
its refusals become words at ``sync.cli``'s one boundary and exit non-zero.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from schema.base import SHANGHAI
from schema.models import Collision
from sync.cli.common import errors, service
from sync.domain import ownership


def _echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _minute(at: dt.datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at is not None else ""


def _collision(c: Collision) -> dict[str, Any]:
    owner = c.customer.owner
    return {
        "id": c.id,
        "customer": c.customer.name,
        "phone": c.customer.phone,
        "owner": owner.username,
        "owner_name": owner.display_name,
        "owned_since": _minute(c.customer.owned_since),
        "rep": c.account.username,
        "rep_name": c.account.display_name,
        "entered_at": _minute(c.detected_at),
    }


@click.group()
def collisions() -> None:
    """撞单：列出待处理的撞单，维持原归属或转给录入人。"""


@collisions.command("list")
@click.option("--as", "username", default=None, help="销售经理账号：只列其地区的撞单（默认：全部地区）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def collisions_list(ctx: click.Context, username: str | None, as_json: bool) -> None:
    """列出待处理的撞单。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        actor = ownership.manager(session, username) if username else None
        rows = [_collision(c) for c in ownership.open_collisions(session, actor)]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"#{r['id']:<5} {r['customer']} {r['phone']}  归属 {r['owner_name']}（{r['owner']}）自 {r['owned_since']}"
            f"  录入 {r['rep_name']}（{r['rep']}）于 {r['entered_at']}"
        )
    if not rows:
        click.echo("没有待处理的撞单")


@collisions.command("settle")
@click.argument("collision_id", type=int)
@click.option("--as", "username", required=True, help="销售经理账号。")
@click.option("--keep", "action", flag_value="keep", help="维持原归属。")
@click.option("--transfer", "action", flag_value="transfer", help="把客户转给录入人（须填写 --note）。")
@click.option("--note", default=None, help="处理说明（转给录入人时必填）。")
@click.pass_context
def collisions_settle(
    ctx: click.Context, collision_id: int, username: str, action: str | None, note: str | None
) -> None:
    """处理撞单 COLLISION_ID：--keep 维持原归属，或 --transfer 转给录入人。"""
    if action is None:
        raise click.UsageError("请选择 --keep（维持原归属）或 --transfer（转给录入人）")
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        c = ownership.settle_collision(
            session, collision_id, username, transfer=action == "transfer", note=note
        )
        owner = c.customer.owner
        what = "转给录入人" if c.status == ownership.TRANSFERRED else "维持原归属"
        line = (
            f"已处理撞单 #{c.id}（{what}）：客户 {c.customer.name}（{c.customer.phone}）"
            f"归属 {owner.display_name}（{owner.username}）"
        )
    click.echo(line)


@click.group()
def customers() -> None:
    """客户归属：休眠客户与重新分配。"""


@customers.command("dormant")
@click.option("--as", "username", required=True, help="销售经理账号：列其地区的休眠客户。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def customers_dormant(ctx: click.Context, username: str, as_json: bool) -> None:
    """列出今天（上海时间）的休眠客户：14 天以上没有客户事件、且没有进行中的认购或签约。"""
    app = service(ctx)
    today = dt.datetime.now(SHANGHAI).date()
    with errors(), app.transaction() as session:
        app.require_initialised()
        actor = ownership.manager(session, username)
        rows = [
            {
                "customer": i.customer.name,
                "phone": i.customer.phone,
                "owner": i.customer.owner.username,
                "owner_name": i.customer.owner.display_name,
                "last_event": i.last_day.isoformat() if i.last_day else None,
                "idle_days": i.idle_days(today),
            }
            for i in ownership.dormant_customers(session, actor.region_id, today)
        ]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['phone']}  {r['customer']}  归属 {r['owner_name']}（{r['owner']}）"
            f"  最近事件 {r['last_event']}  已 {r['idle_days']} 天未跟进"
        )
    if not rows:
        click.echo("没有休眠客户")


@customers.command("reassign")
@click.argument("phone")
@click.option("--to", "to_username", required=True, help="接手的销售代表账号。")
@click.option("--as", "username", required=True, help="销售经理账号。")
@click.option("--reason", required=True, help="重新分配的原因。")
@click.pass_context
def customers_reassign(ctx: click.Context, phone: str, to_username: str, username: str, reason: str) -> None:
    """把休眠客户 PHONE 重新分配给本地区的另一位销售代表（记入工作日志）。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        moved = ownership.reassign_customer(session, phone, username, to_username, reason)
        c, before, after = moved.customer, moved.before, moved.after
        line = (
            f"已将客户 {c.name}（{c.phone}）由 {before.display_name}（{before.username}）"
            f"重新分配给 {after.display_name}（{after.username}）"
        )
    click.echo(line)
