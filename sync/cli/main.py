"""The ``salesync`` command: a thin Click layer over :class:`sync.app.Salesync`.

The root group knows its commands by name and loads a command's module only when that command
runs, so ``salesync --help`` and a quick ``salesync status`` do not import the whole application.

Errors become words in one place (:mod:`sync.cli.common`): operational failures and refusals print
one line and exit 4, wherever in a command they arise; an ingest's outcome decides its own exit code
otherwise (0 accepted/unchanged, 1 partly accepted, 2 rejected, 3 held for confirmation). The codes
are listed in :mod:`sync.cli.exits` and in the README.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from sync.core.runtime import configure_process

# name → (module under sync.cli, attribute, one-line help shown by ``salesync --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("setup", "init", "创建或升级数据库（可重复执行）。"),
    "region": ("setup", "region", "地区。"),
    "user": ("setup", "user", "账号：建立、停用、列出。"),
    "ingest": ("ingest", "ingest", "同步一个工作簿：校验、版本化、写入数据库。"),
    "templates": ("tools", "templates", "由工作簿规格生成 Excel 模板。"),
    "docs": ("tools", "docs", "由工作簿规格生成参考文档。"),
    "demo": ("tools", "demo", "初始化、建立演示账号与演示共享盘，并把示例工作簿逐个同步。"),
    "watch": ("watch", "watch", "监视共享盘，同步每个保存的工作簿。"),
    "folders": ("folders", "folders", "个人文件夹。"),
    "status": ("drive", "status", "各个人文件夹的同步状态。"),
    "up": ("watch", "up", "一条命令运行：初始化、演示共享盘、监视与门户。"),
    "serve": ("watch", "serve", "启动门户（waitress）。"),
    "backup": ("drive", "backup", "备份数据库（SQLite 在线备份；PostgreSQL 用 pg_dump）。"),
    "restore": ("drive", "restore", "把备份恢复到一个新的空数据库。"),
    "files": ("drive", "files", "留存的工作簿文件：按保留策略整理。"),
    "changes": ("changes", "changes", "主数据变更单：列出、查看、签字、驳回。"),
    "audit": ("changes", "audit", "工作日志：校验、导出。"),
    "tasks": ("tasks", "tasks", "我的任务。"),
    "confirm": ("tasks", "confirm", "销控确认特殊事务已办结（财务处理之后）。"),
    "reconcile": ("reconcile", "reconcile", "双轨对账：手工报表与系统报表逐格比对。"),
    "mismatch": ("reconcile", "mismatch", "对账差异：说明原因。"),
    "cadence": ("reconcile", "cadence", "双轨对账：缺少的日、周、月核对。"),
    "report": ("reports", "report", "系统报表（Excel）。"),
    "collisions": ("customers", "collisions", "撞单：列出、处理。"),
    "project": ("project", "project", "项目设置：案场工作日历。"),
    "notify": ("notify", "notify", "通知：渠道、测试、发送记录。"),
    "customers": ("customers", "customers", "客户：休眠客户与重新分配。"),
    "sheets": ("sheets", "sheets", "在线表格（Google 表格）：登记、同步、生成模板。"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (Click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(f"sync.cli.{entry[0]}")
        command: click.Command = getattr(module, entry[1])
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """The one boundary where an operational failure raised anywhere in a command becomes one
        line and exit code 4, never a traceback."""
        try:
            return super().invoke(ctx)
        except click.exceptions.ClickException:
            raise
        except Exception as exc:
            # loaded only when a command failed: the error boundary imports the whole service
            from sync.cli.common import not_done

            done = not_done(exc)
            if done is None:
                raise
            raise done from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="SALESYNC_DATABASE_URL", help="数据库 URL（默认：数据目录下的 SQLite 文件）。")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="配置文件（salesync.toml）。")
@click.option("--data-dir", type=click.Path(path_type=Path), help="数据目录（默认 ./data）。")
@click.version_option(package_name="salesync")
@click.pass_context
def main(ctx: click.Context, db: str | None, config_file: Path | None, data_dir: Path | None) -> None:
    """salesync：以 Excel 为录入层的销售数据系统。"""
    configure_process()
    ctx.obj = {"db": db, "config": config_file, "data_dir": data_dir}
