"""``salesync changes …`` (signing master-data change sets) and ``salesync audit …`` (the work log).

Thin Click commands over :mod:`sync.domain.signing` and :mod:`sync.domain.worklog`; refusals become words here.
A signature needs the signer's password: prompted for on a terminal, or one line on stdin with
``--password-stdin``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sync.cli.common import errors, service
from sync.domain import anchors, sealed_audit, signing, worklog_export
from sync.domain.signing import Review
from sync.kinds.project_master import KIND
from sync.pipeline import kept_rows

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin.isatty():
        return str(click.prompt("签字人密码", hide_input=True))
    raise click.UsageError("非交互运行时请用 --password-stdin 提供密码")


def _echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@click.group()
def changes() -> None:
    """项目资料变更单：查看、签字、驳回。"""


def _line(r: Review) -> str:
    cs = r.change_set
    rows = f"+{cs.rows_added} ~{cs.rows_changed} -{cs.rows_removed}"
    initial = "初始资料" if cs.is_initial else "变更"
    waiting = (
        f"，待 {'、'.join(m.title for m in r.missing)} 签字" if cs.status == "待签" and r.missing else ""
    )
    conflict = f"，{len(r.conflicts)} 处冲突" if r.conflicts else ""
    when = signing.shanghai(cs.created_at)
    return (
        f"#{cs.id:<5} {cs.status}  {cs.project_codes:<16} {initial}  {rows:<16} "
        f"提交 {r.submitter.username} {when}{waiting}{conflict}"
    )


@changes.command("list")
@click.option("--all", "show_all", is_flag=True, help="列出全部变更单（默认只列待签的）。")
@click.option("--for", "signer", help="只列此账号可以签字的变更单（我的任务）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def changes_list(ctx: click.Context, show_all: bool, signer: str | None, as_json: bool) -> None:
    """列出变更单（默认：待签）。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        reviews = signing.change_sets(session, status=None if show_all else "待签", signer=signer)
        payload = [r.as_dict() for r in reviews]
        lines = [_line(r) for r in reviews]
    if as_json:
        _echo_json(payload)
        return
    for line in lines or ["没有待签的变更单"]:
        click.echo(line)


OPS = {"add": "新增", "change": "修改", "remove": "删除"}


@changes.command("show")
@click.argument("change_set_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def changes_show(ctx: click.Context, change_set_id: int, as_json: bool) -> None:
    """显示变更单 CHANGE_SET_ID：逐项的原值 → 新值、应签与已签、冲突。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        r = signing.review(session, change_set_id)
        data = r.as_dict()
        items = [
            (i.sheet, i.key, i.op, KIND.sheet(i.entity).header(i.field) if i.field else "", i.old, i.new)
            for i in r.items
        ]
    if as_json:
        _echo_json(data)
        return
    click.echo(f"变更单 #{data['id']}  {data['status']}  项目 {','.join(data['projects'])}")
    click.echo(f"提交人 {data['submitter']}  提交时间 {data['submitted_at']}（北京时间）")
    ins = data["instruction"]
    click.echo(f"指示 {ins['date'] or '—'} {ins['by'] or ''}：{ins['text'] or ''}")
    click.echo(f"须签字：{'、'.join(data['required'])}")
    for s in data["signatures"]:
        counts = "" if s["counts"] else "（不计入）"
        reason = f"：{s['reason']}" if s["reason"] else ""
        click.echo(
            f"  {s['meaning']} {s['name']}（{s['account']}，{s['role']}）{s['signed_at']}{reason}{counts}"
        )
    if data["missing"]:
        click.echo(f"还需：{'、'.join(data['missing'])}")
    if data["applied_at"]:
        click.echo(f"生效时间 {data['applied_at']}")
    if data["superseded_by"]:
        click.echo(f"已被变更单 #{data['superseded_by']} 取代")
    for c in data["conflicts"]:
        click.echo(
            f"  冲突 {c['sheet']} {c['key']} {c['field'] or ''}：基于“{c['expected']}”，当前“{c['current']}”"
        )
    for sheet, key, op, field, old, new in items:
        if op == "change":
            click.echo(f"  {OPS[op]} {sheet} {key} {field}: {old} → {new}")
        else:
            values = json.loads((new if op == "add" else old) or "{}")
            click.echo(f"  {OPS[op]} {sheet} {key}: " + "，".join(f"{h} {v}" for h, v in values.items() if v))


def _signed(result: signing.SignResult) -> str:
    if result.status == "已生效":
        return f"已签字，变更单 #{result.change_set_id} 已生效：写入 {result.rows_written} 行"
    if result.status == "已驳回":
        return f"已驳回变更单 #{result.change_set_id}"
    return f"已签字，变更单 #{result.change_set_id} 还需 {'、'.join(result.missing)} 签字"


BAR_FROM_ROWS = 2000  # a change set this big shows a progress bar while it applies


class _ApplyBar:
    """The progress of a big change set applying, as a bar on stderr; opened when the apply tells
    its size (a small change set, or one still waiting for signatures, shows none)."""

    def __init__(self) -> None:
        self.bar: ProgressBar[int] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if total < BAR_FROM_ROWS:
                return
            self.bar = click.progressbar(length=total, label="变更单生效，写入", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@changes.command("sign")
@click.argument("change_set_id", type=int)
@click.option("--as", "username", required=True, help="签字人账号。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取签字人密码（用于脚本）。")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="签字后变更单生效时，大批写入在 stderr 显示进度条（默认：stderr 是终端时显示）。",
)
@click.pass_context
def changes_sign(
    ctx: click.Context, change_set_id: int, username: str, password_stdin: bool, progress: bool | None
) -> None:
    """以 USERNAME 的身份签字批准变更单（须重新输入密码）；签字齐全即生效。"""
    password = _password(password_stdin)
    app = service(ctx)
    bar = _ApplyBar() if (sys.stderr.isatty() if progress is None else progress) else None
    try:
        with errors(), app.transaction() as session:
            app.require_initialised()
            result = signing.sign(session, change_set_id, username, password, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    click.echo(_signed(result))


@changes.command("reject")
@click.argument("change_set_id", type=int)
@click.option("--as", "username", required=True, help="签字人账号。")
@click.option("--reason", required=True, help="驳回原因。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取签字人密码（用于脚本）。")
@click.pass_context
def changes_reject(
    ctx: click.Context, change_set_id: int, username: str, reason: str, password_stdin: bool
) -> None:
    """以 USERNAME 的身份驳回变更单（须重新输入密码并填写原因）；变更单保留。"""
    password = _password(password_stdin)
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        result = signing.reject(session, change_set_id, username, password, reason)
    click.echo(_signed(result))


@changes.command("late")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="生效日期起（北京时间）。")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="生效日期止（含）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def changes_late(
    ctx: click.Context, start: dt.datetime | None, end: dt.datetime | None, as_json: bool
) -> None:
    """时效报表：指示后超过一个工作日才生效的变更单。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        late = signing.late_changes(session, start.date() if start else None, end.date() if end else None)
        payload = [x.as_dict() for x in late]
    if as_json:
        _echo_json(payload)
        return
    for x in payload:
        if x["deadline"] is None:
            click.echo(
                f"#{x['change_set']} {','.join(x['projects'])} 生效 {x['applied_at']}：变更说明未填指示日期"
            )
        else:
            click.echo(
                f"#{x['change_set']} {','.join(x['projects'])} 指示 {x['instruction_date']}"
                f"（{x['instructed_by'] or '—'}），应于 {x['deadline']} 前生效，实际 {x['applied_at']}"
            )
    if not payload:
        click.echo("没有超时生效的变更")


@click.group()
def audit() -> None:
    """工作日志（防篡改的哈希链）。"""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="输出语言。")
@click.option(
    "--deep",
    is_flag=True,
    help="再按数据库逐行重算每条数字封存记录（及原文件的 SHA-256），指出第一处不符的行。",
)
@click.pass_context
def audit_verify(ctx: click.Context, as_json: bool, lang: str | None, deep: bool) -> None:
    """逐条重算工作日志的哈希链，并与数据目录中的锚点核对；被改动、被截断或触发器被删时以 1 退出。

    --deep 时再重算每条数字封存记录：保存的原文件与其 SHA-256、各表写入的行与其摘要；
    行在日志之外被改动或删除时指出表、键和字段，以 1 退出。"""
    app = service(ctx)
    sealed = None
    with errors(), app.transaction() as session:
        app.require_initialised()
        report = anchors.verify(session)
        if deep and report.ok:
            sealed = sealed_audit.verify(session, kept_rows.applied_row)
    lang = lang or app.config.lang
    ok = report.ok and (sealed is None or sealed.ok)
    if as_json:
        payload = anchors.report_dict(report, lang)
        if sealed is not None:
            payload = {**payload, "ok": ok, "deep": sealed.as_dict(lang)}
        _echo_json(payload)
    else:
        click.echo(report.message(lang))
        if sealed is not None:
            click.echo(sealed.message(lang))
    ctx.exit(0 if ok else 1)


@audit.command("export")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="起始日期（北京时间）。")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="截止日期（含）。")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出 .xlsx 文件。"
)
@click.pass_context
def audit_export(ctx: click.Context, start: dt.datetime | None, end: dt.datetime | None, out: Path) -> None:
    """把一段期间的工作日志导出为 Excel 工作簿。"""
    app = service(ctx)
    with errors(), app.transaction() as session:
        app.require_initialised()
        count = worklog_export.export_xlsx(
            session, start.date() if start else None, end.date() if end else None, out
        )
    click.echo(f"已导出 {count} 条工作日志：{out}")
