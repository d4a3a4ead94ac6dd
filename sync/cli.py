"""The ``salesync`` command: a thin Click layer over :class:`sync.app.Salesync`.

Errors become words here, once: operational failures (``SalesyncError``) print their message and
exit 2; an ingest's outcome decides the exit code (0 accepted/unchanged, 1 partly accepted,
2 rejected, 3 held for confirmation).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from sqlalchemy import select

from schema.models import Account
from schema.roles import Role
from sync import accounts
from sync.app import Salesync
from sync.config import Config, ConfigError
from sync.errors import SalesyncError
from sync.outcome import Outcome
from sync.progress import LABELS, STAGES
from sync.runtime import tune_collector

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (SalesyncError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc


def _app(ctx: click.Context) -> Salesync:
    obj = ctx.find_root().obj
    if "app" not in obj:
        with _errors():
            obj["app"] = Salesync(
                Config.load(db=obj["db"], config_file=obj["config"], data_dir=obj["data_dir"])
            )
        ctx.call_on_close(obj["app"].close)
    app: Salesync = obj["app"]
    return app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="SALESYNC_DATABASE_URL", help="数据库 URL（默认：数据目录下的 SQLite 文件）。")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="配置文件（salesync.toml）。")
@click.option("--data-dir", type=click.Path(path_type=Path), help="数据目录（默认 ./data）。")
@click.version_option(package_name="salesync")
@click.pass_context
def main(ctx: click.Context, db: str | None, config_file: Path | None, data_dir: Path | None) -> None:
    """salesync：以 Excel 为录入层的销售数据系统。"""
    tune_collector()
    ctx.obj = {"db": db, "config": config_file, "data_dir": data_dir}


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """创建或升级数据库（可重复执行）。"""
    app = _app(ctx)
    with _errors():
        app.init()
    click.echo(f"数据库已就绪：{app.engine.url.render_as_string(hide_password=True)}")


# -- regions and users ---------------------------------------------------------------------------------


@main.group()
def region() -> None:
    """地区公司。"""


@region.command("add")
@click.argument("code")
@click.argument("name")
@click.pass_context
def region_add(ctx: click.Context, code: str, name: str) -> None:
    """新建地区 CODE NAME。"""
    app = _app(ctx)
    with _errors(), app.transaction() as session:
        app.require_initialised()
        accounts.add_region(session, code, name)
    click.echo(f"已新建地区 {code} {name}")


@main.group()
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
    if len(password) < 8:
        raise click.UsageError("密码至少 8 位")
    app = _app(ctx)
    with _errors(), app.transaction() as session:
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
    app = _app(ctx)
    with _errors(), app.transaction() as session:
        accounts.disable_user(session, username)
    click.echo(f"已停用用户 {username}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """列出用户。"""
    app = _app(ctx)
    with _errors(), app.transaction() as session:
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


LINES_PER_CODE = 20  # findings of one code printed before the rest is counted instead


def _print_outcome(outcome: Outcome, lang: str) -> None:
    """The summary line, then one line per finding (a structural fault is the summary itself).

    Past :data:`LINES_PER_CODE` findings of one code, the rest is a count: a first import of a
    long-kept workbook may carry 100k late entries, which ``--json`` lists in full."""
    click.echo(outcome.summary(lang))
    if any(f.structural for f in outcome.findings.single):
        return
    listed, left_out = outcome.findings.first(LINES_PER_CODE)
    for f in listed:
        where = f"{f.sheet or ''}{'!' + str(f.row) if f.row else ''}{' ' + f.header if f.header else ''}"
        click.echo(f"  [{f.code}] {where}: {f.message(lang)}")
    for code, rest in left_out.items():
        click.echo(
            f"  [{code}] 另有 {rest} 条同类问题未列出，完整列表见 --json 输出"
            if lang == "zh"
            else f"  [{code}] {rest} more not shown; --json lists them all"
        )


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--as", "username", required=True, help="提交人账号。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（含全部错误记录）。")
@click.option("--allow-removals", is_flag=True, help="确认本次删除比例异常的保存。")
@click.option("--no-write-back", is_flag=True, help="不写反馈文件，也不写入版本戳。")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="输出语言。")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="在标准错误上显示进度（默认：标准错误是终端时显示）。",
)
@click.pass_context
def ingest(
    ctx: click.Context,
    files: tuple[Path, ...],
    username: str,
    as_json: bool,
    allow_removals: bool,
    no_write_back: bool,
    lang: str | None,
    progress: bool | None,
) -> None:
    """校验并同步工作簿 FILES（每个文件一个事务）。"""
    app = _app(ctx)
    lang = lang or app.config.lang
    outcomes = []
    show = sys.stderr.isatty() if progress is None else progress
    with _errors():
        app.require_initialised()
        if show:
            outcomes = _ingest_with_progress(app, files, username, allow_removals, not no_write_back, lang)
        for path in files if not show else ():
            outcome = app.ingest(path, username, allow_removals=allow_removals, write_back=not no_write_back)
            outcomes.append(outcome)
            if not as_json:
                _print_outcome(outcome, lang)
        if show and not as_json:
            for outcome in outcomes:
                _print_outcome(outcome, lang)
    if as_json:
        payload = [o.as_dict(lang) for o in outcomes]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2))
    ctx.exit(max(o.verdict.exit_code for o in outcomes))


def _ingest_with_progress(
    app: Salesync, files: tuple[Path, ...], username: str, allow_removals: bool, write_back: bool, lang: str
) -> list[Outcome]:
    """Ingest ``files`` under a progress bar on stderr, one step per stage of each file; the
    outcomes are printed after it, so that the bar and the results do not interleave."""
    labels = LABELS.get(lang, LABELS["zh"])
    now_at = {"file": files[0].name if files else "", "stage": ""}
    outcomes: list[Outcome] = []
    shown: ProgressBar[int] = click.progressbar(
        length=len(files) * len(STAGES),
        label="同步" if lang == "zh" else "ingest",
        file=sys.stderr,
        item_show_func=lambda _item: f"{now_at['file']} · {now_at['stage']}" if now_at["stage"] else None,
    )
    with shown as bar:
        for index, path in enumerate(files):
            now_at["file"] = path.name

            def stage(name: str, _index: int = index) -> None:
                now_at["stage"] = labels[name]
                done = _index * len(STAGES) + STAGES.index(name)
                if done > bar.pos:
                    bar.update(done - bar.pos, done)
                else:
                    bar.render_progress()  # a new stage on the same step: show its name

            outcomes.append(
                app.ingest(
                    path, username, allow_removals=allow_removals, write_back=write_back, progress=stage
                )
            )
            bar.update((index + 1) * len(STAGES) - bar.pos)
    return outcomes


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="输出目录（默认：仓库的 templates_xlsx/）。",
)
def templates(out: Path | None) -> None:
    """由工作簿规格重新生成全部模板。"""
    from sync.templates import TEMPLATES_DIR, write_templates

    for path in write_templates(out or TEMPLATES_DIR):
        click.echo(str(path))


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="输出文件（默认：仓库的 docs/workbooks.md）；- 表示标准输出。",
)
def docs(out: Path | None) -> None:
    """由工作簿规格生成工作簿参考文档。"""
    from sync import docs as reference

    if out is not None and str(out) == "-":
        click.echo(reference.render(), nl=False)
        return
    click.echo(str(reference.write(out or reference.DOCS_PATH)))


@main.command()
@click.option(
    "--drive",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="演示共享盘目录（默认：数据目录下的 drive/）。",
)
@click.pass_context
def demo(ctx: click.Context, drive: Path | None) -> None:
    """初始化、建立演示账号与演示共享盘，并把示例工作簿逐个同步。"""
    from sync.demo import run_demo

    app = _app(ctx)
    with _errors():
        outcomes = run_demo(app, drive or app.config.drive_root, echo=click.echo)
    for outcome in outcomes:
        _print_outcome(outcome, app.config.lang)


from sync.cli_watch import folders, serve, status, up, watch  # noqa: E402  (they use the helpers above)

for _command in (watch, folders, status, up, serve):
    main.add_command(_command)

from sync.cli_sign import audit, changes  # noqa: E402  (signed changes and the work log)

main.add_command(changes)
main.add_command(audit)

from sync.cli_tasks import confirm, tasks  # noqa: E402  (my tasks)

main.add_command(tasks)
main.add_command(confirm)

from sync.cli_reconcile import cadence, mismatch, reconcile  # noqa: E402  (dual-track reconciliation)

main.add_command(reconcile)
main.add_command(mismatch)
main.add_command(cadence)

from sync.cli_reports import report  # noqa: E402  (the system's reports)

main.add_command(report)

from sync.cli_customers import collisions, customers  # noqa: E402  (customer ownership: 撞单, 休眠客户)

main.add_command(collisions)
main.add_command(customers)

if __name__ == "__main__":  # pragma: no cover
    main()
