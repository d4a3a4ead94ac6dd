"""The watcher's commands: ``watch``, ``folders sync``, ``status`` and ``up`` (registered in sync.cli)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from schema.db import make_engine
from sync.app import Salesync
from sync.cli.common import errors, service
from sync.core.config import Config
from sync.domain.folders import sync_folders
from sync.notify.service import notifier_beside
from sync.tools.demo import prepare_demo, salesync_command
from sync.watch.logs import EventLog, configure
from sync.watch.queue import record_files
from sync.watch.service import Watcher, WatchSettings
from web.server import Portal


def _watch_service(ctx: click.Context) -> Salesync:
    """The service for a long-running watcher: on SQLite without a connection pool, so that a database
    file that goes away (a share offline, a moved file) is noticed rather than written to blindly."""
    obj = ctx.find_root().obj
    if "app" not in obj:
        with errors():
            config = Config.load(db=obj["db"], config_file=obj["config"], data_dir=obj["data_dir"])
        engine = None
        if config.database_url.startswith("sqlite"):
            engine = make_engine(config.database_url, poolclass=NullPool)
        obj["app"] = Salesync(config, engine)
        ctx.call_on_close(obj["app"].close)
    app: Salesync = obj["app"]
    return app


def _settings(config: Config, **options: Any) -> Any:
    """The watcher's settings: the configuration's, then the command line's."""

    configured: dict[str, Any] = {
        "max_failures": config.watch_max_failures,
        "memory_mb": config.worker_memory_mb or None,
        "keep_jobs_days": config.watch_keep_jobs_days,
    }
    return WatchSettings(**configured, **{k: v for k, v in options.items() if v is not None})


def _run_watcher(app: Salesync, root: Path, settings: Any, *, json_logs: bool, lang: str | None) -> None:
    configure(json_lines=json_logs)
    with notifier_beside(app, enabled=not settings.once):  # messages and the schedule, on their own thread
        Watcher(app, root, settings, EventLog(lang or app.config.lang)).run()


@click.command()
@click.argument("root", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--polling/--native", default=None, help="轮询（网络共享盘用）或系统事件；默认看配置 watch_polling。"
)
@click.option("--poll-interval", type=float, default=None, help="轮询间隔秒数（默认看配置，1 秒）。")
@click.option(
    "--settle", type=float, default=None, help="文件大小与修改时间保持不变多少秒后才读取（默认 0.5）。"
)
@click.option("--tick", type=float, default=None, help="检查待定文件的间隔秒数（默认 0.2）。")
@click.option("--rescan", type=float, default=None, help="全盘重新扫描的间隔秒数（默认 60）。")
@click.option("--retry", type=float, default=None, help="数据库不可用时重试的间隔秒数（默认 2）。")
@click.option("--once", is_flag=True, help="处理完共享盘上现有的文件后退出。")
@click.option("--json-logs", is_flag=True, help="日志每行一个 JSON 对象。")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="日志语言。")
@click.pass_context
def watch(
    ctx: click.Context,
    root: Path | None,
    polling: bool | None,
    poll_interval: float | None,
    settle: float | None,
    tick: float | None,
    rescan: float | None,
    retry: float | None,
    once: bool,
    json_logs: bool,
    lang: str | None,
) -> None:
    """监视共享盘 ROOT（默认：配置的 drive_root），同步每个保存完成的工作簿。"""

    app = _watch_service(ctx)
    with errors(), contextlib.suppress(DBAPIError):  # the database is away: the watcher starts paused
        app.require_initialised()
    settings = _settings(
        app.config,
        polling=app.config.watch_polling if polling is None else polling,
        poll_interval=poll_interval or app.config.watch_poll_interval,
        settle=settle,
        tick=tick,
        rescan=rescan,
        retry=retry,
        once=once,
    )
    _run_watcher(app, root or app.config.drive_root, settings, json_logs=json_logs, lang=lang)


def _start_portal(app: Salesync, host: str, port: int) -> Any:
    """The portal on a thread of this process, stopped when the watcher stops."""
    try:
        portal = Portal(app, host=host, port=port).start()
    except OSError as exc:  # the port is taken: the watcher still runs
        click.echo(f"门户未能启动（{host}:{port}：{exc.strerror}）；可用 --port 换一个端口。", err=True)
        return None
    click.echo(f"门户：{portal.url}（演示账号见上方，密码 salesync-demo）")
    return portal


@click.command()
@click.option(
    "--drive",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="共享盘目录（默认：数据目录下的 drive/）。",
)
@click.option("--polling/--native", default=None, help="轮询或系统事件（默认看配置）。")
@click.option("--json-logs", is_flag=True, help="日志每行一个 JSON 对象。")
@click.option("--host", default="127.0.0.1", show_default=True, help="门户监听的地址。")
@click.option("--port", default=8000, show_default=True, type=int, help="门户监听的端口。")
@click.option("--no-portal", is_flag=True, help="只运行监视程序，不启动门户。")
@click.pass_context
def up(
    ctx: click.Context,
    drive: Path | None,
    polling: bool | None,
    json_logs: bool,
    host: str,
    port: int,
    no_portal: bool,
) -> None:
    """一条命令启动：初始化、演示账号与演示共享盘（含示例工作簿）、监视程序；Ctrl-C 退出。"""
    app = _watch_service(ctx)
    root = (drive or app.config.drive_root).resolve()
    with errors():
        files = prepare_demo(app, root, echo=click.echo)
        sync_folders(app, root)
        record_files(app, root, [path for path, _ in files])  # processed in the demo's order
    click.echo("示例工作簿（由监视程序同步，结果见下方日志，反馈文件 *.反馈.xlsx 写在各文件旁）：")
    for path, username in files:
        click.echo(f"  {path.relative_to(root)}  （{username}）")
    cmd = salesync_command()
    click.echo(
        "项目资料（初始资料）已由 chengang（市场营销部高级经理）和 liuyang（地区总经理）签字生效，"
        "销控与收款示例按今天的日期写入；以后的变更单在门户的变更单页或 "
        f"{cmd} changes sign <编号> --as chengang 签字"
    )
    click.echo(f"把工作簿保存到 {root}/<地区>/<账号>/ 即自动同步；{cmd} status 查看状态；Ctrl-C 退出。")
    sys.stdout.flush()
    portal = None if no_portal else _start_portal(app, host, port)
    settings = _settings(app.config, polling=app.config.watch_polling if polling is None else polling)
    try:
        _run_watcher(app, root, settings, json_logs=json_logs, lang=None)
    finally:
        if portal is not None:
            portal.stop()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听的地址。")
@click.option("--port", default=8000, show_default=True, type=int, help="监听的端口。")
@click.option("--threads", default=4, show_default=True, type=int, help="处理请求的线程数。")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """启动门户（waitress）：我的任务、报表与楼盘表、双轨对账、变更单签字、账号管理。"""
    app = service(ctx)
    with errors():
        app.require_initialised()
        portal = Portal(app, host=host, port=port, threads=threads)
        click.echo(f"门户：http://{host}:{port}/ ；Ctrl-C 退出。")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            portal.serve_forever()
