"""``salesync folders sync``: every active account's personal folder on the drive, with the blank
templates its roles may submit.

Its own module because it writes the templates (openpyxl, the kinds' specs): ``status`` and the
other quick commands of :mod:`sync.cli.drive` start without them.
"""

from __future__ import annotations

from pathlib import Path

import click

from sync.cli.common import errors, service
from sync.domain.folders import sync_folders
from validators.messages import render


@click.group()
def folders() -> None:
    """个人文件夹（共享盘/地区编码/账号/）。"""


@folders.command("sync")
@click.argument("root", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def folders_sync(ctx: click.Context, root: Path | None) -> None:
    """为每个在职账号建立个人文件夹，并放入其角色可提交的空白模板。"""
    app = service(ctx)
    lang = app.config.lang
    with errors():
        app.require_initialised()
        results = sync_folders(app, root or app.config.drive_root)
    for r in results:
        if r.refused:
            click.echo(render("folders-refused", lang, folder=str(r.folder), account=r.account), err=True)
            continue
        if r.created:
            click.echo(render("folders-created", lang, folder=str(r.folder)))
        for path in r.templates:
            click.echo(render("folders-template", lang, file=str(path)))
    ready = sum(not r.refused for r in results)
    click.echo(f"{ready} 个个人文件夹已就绪" if lang == "zh" else f"{ready} personal folders ready")
