"""``salesync templates``, ``docs`` and ``demo``: what is generated from the workbook-kind specs, and the demo."""

from __future__ import annotations

from pathlib import Path

import click

from sync.cli.common import errors, service
from sync.cli.ingest import print_outcome
from sync.tools import docs as reference
from sync.tools.demo import run_demo
from sync.xlsx.templates import TEMPLATES_DIR, write_templates


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="输出目录（默认：仓库的 templates_xlsx/）。",
)
def templates(out: Path | None) -> None:
    """由工作簿规格重新生成全部模板。"""
    for path in write_templates(out or TEMPLATES_DIR):
        click.echo(str(path))


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="输出文件（默认：仓库的 docs/workbooks.md）；- 表示标准输出。",
)
def docs(out: Path | None) -> None:
    """由工作簿规格生成工作簿参考文档。"""
    if out is not None and str(out) == "-":
        click.echo(reference.render(), nl=False)
        return
    click.echo(str(reference.write(out or reference.DOCS_PATH)))


@click.command()
@click.option(
    "--drive",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="演示共享盘目录（默认：数据目录下的 drive/）。",
)
@click.pass_context
def demo(ctx: click.Context, drive: Path | None) -> None:
    """初始化、建立演示账号与演示共享盘，并把示例工作簿逐个同步。"""
    app = service(ctx)
    with errors():
        outcomes = run_demo(app, drive or app.config.drive_root, echo=click.echo)
    for outcome in outcomes:
        print_outcome(outcome, app.config.lang)
