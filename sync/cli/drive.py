"""The drive and the database, without starting anything: ``status``, ``backup``, ``restore`` and
``files compact`` (kept apart from ``watch``/``up``/``serve`` so that these quick commands do not
load the watcher and the portal; ``folders sync``, which writes templates, is :mod:`sync.cli.folders`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from sync.cli.common import errors, service
from sync.cli.sheet_lines import sheet_line
from sync.domain import kept_files
from sync.domain.backup import backup as do_backup
from sync.domain.backup import restore as do_restore
from sync.sources.sheets import sheet_status
from sync.watch.status import folder_status, queue_status


def _echo_queue(q: Any, en: bool) -> None:
    """The queue and the drive in two lines."""
    oldest = ""
    if q.oldest:
        oldest = (
            f", oldest {q.oldest} ({q.oldest_age_seconds} s)"
            if en
            else f"，最早 {q.oldest}（已等 {q.oldest_age_seconds} 秒）"
        )
    fs = q.drive_fstype or ("unknown" if en else "未知")
    if en:
        click.echo(
            f"queue: {q.depth} waiting ({q.running} running, {q.retrying} retrying){oldest}; "
            f"{q.quarantined} quarantined"
        )
        kind = "network file system: polled" if q.drive_network else "local file system"
        click.echo(
            f"drive: {q.drive_root} ({fs}, {kind}{', polling' if q.polling and not q.drive_network else ''})"
        )
    else:
        click.echo(
            f"队列：待处理 {q.depth}（处理中 {q.running}，重试中 {q.retrying}）{oldest}；已隔离 {q.quarantined}"
        )
        kind = "网络文件系统：自动轮询" if q.drive_network else "本地文件系统"
        click.echo(
            f"共享盘：{q.drive_root}（{fs}，{kind}{'，轮询' if q.polling and not q.drive_network else ''}）"
        )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.option(
    "--queue", "queue_only", is_flag=True, help="只看任务队列与共享盘（深度、最早任务、重试、隔离）。"
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="输出语言。")
@click.pass_context
def status(ctx: click.Context, as_json: bool, queue_only: bool, lang: str | None) -> None:
    """任务队列与共享盘，及每个个人文件夹：最近版本及结果、待处理文件数、错误。"""
    app = service(ctx)
    en = (lang or app.config.lang) == "en"
    with errors():
        app.require_initialised()
        q = queue_status(app)
        rows = [] if queue_only else folder_status(app)
    if as_json:
        out: Any = q.as_dict() if queue_only else [r.as_dict() for r in rows]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    _echo_queue(q, en)
    if queue_only:
        return
    for r in rows:
        who = f"{r.account}（{r.name}）" if r.account else ("(no account)" if en else "（未对应账号）")
        if r.active is False:
            who += " [disabled]" if en else "［已停用］"
        none = "no version yet" if en else "尚无版本"
        last = f"{r.last_seen} {r.last_summary}" if r.last_summary else none
        if en:
            click.echo(f"{r.folder:<20} {who}  pending {r.pending}  errors {len(r.errors)}")
            click.echo(f"    last: {last}")
        else:
            click.echo(f"{r.folder:<20} {who}  待处理 {r.pending}  错误 {len(r.errors)}")
            click.echo(f"    最近：{last}")
        for e in r.errors:
            mark = "↻" if e["state"] == "pending" else "✗"
            again = (" (will be retried)" if en else "（将自动重试）") if e["state"] == "pending" else ""
            click.echo(f"    {mark} {Path(e['file']).name}：{e['message'] or e['code']}{again}")
    with errors(), app.transaction() as session:
        online = sheet_status(session)
    for s in online:  # registered online sheets: the last read, and why the last attempt failed
        click.echo(sheet_line(s))
        if s.error:
            click.echo(
                f"    ✗ {s.error}（{s.failures}, next {s.next_attempt}）"
                if en
                else f"    ✗ {s.error}（第 {s.failures} 次失败，下次 {s.next_attempt}）"
            )


def _echo_counts(counts: dict[str, int], en: bool) -> None:
    shown = ("account", "workbook_version", "stored_file", "work_log", "customer", "watch_job")
    parts = [f"{name} {counts[name]}" for name in shown if name in counts]
    click.echo(("rows: " if en else "行数：") + ", ".join(parts))


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    """把整个数据库备份到 PATH（SQLite：在线备份，监视与门户可照常运行；PostgreSQL：pg_dump）。
    工作日志密钥（数据目录下的 audit.key 或配置的 audit_key）不在数据库中，请另行备份。"""
    app = service(ctx)
    en = app.config.lang == "en"
    with errors():
        app.require_initialised()
        done = do_backup(app, path)
    click.echo(
        f"backed up to {done.path} ({done.method})" if en else f"已备份到 {done.path}（{done.method}）"
    )
    _echo_counts(done.counts, en)


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def restore(ctx: click.Context, path: Path) -> None:
    """把备份 PATH 恢复到一个新的空数据库（--db 指定），并升级到当前版本；之后可运行 salesync audit verify。"""
    app = service(ctx)
    en = app.config.lang == "en"
    with errors():
        done = do_restore(app, path)
    click.echo(
        f"restored from {done.path} ({done.method})" if en else f"已从 {done.path} 恢复（{done.method}）"
    )
    _echo_counts(done.counts, en)


@click.group()
def files() -> None:
    """保存的工作簿文件（每个版本的原始字节）。"""


@files.command("compact")
@click.option(
    "--older-than", type=float, default=None, help="清除多少天前的旧版本内容（默认看配置 kept_files_days）。"
)
@click.option("--dry-run", is_flag=True, help="只列出将被清除的文件，不做改动。")
@click.pass_context
def files_compact(ctx: click.Context, older_than: float | None, dry_run: bool) -> None:
    """按保留策略清除旧版本的原始字节（不含各工作簿的已接收版本与最新版本、对账所用文件）；
    每个被清除文件的摘要、大小与版本记入工作日志。默认（未配置）全部保留。"""
    from datetime import timedelta

    app = service(ctx)
    en = app.config.lang == "en"
    days = older_than if older_than is not None else app.config.kept_files_days
    if not days:
        click.echo(
            "kept_files_days is not set: every version's bytes are kept"
            if en
            else "未配置 kept_files_days：保留所有版本的文件"
        )
        return
    with errors():
        app.require_initialised()
        if dry_run:
            digests = kept_files.candidates(app, timedelta(days=days))
            for digest in digests:
                click.echo(digest)
            click.echo(
                f"{len(digests)} files would be compacted" if en else f"将清除 {len(digests)} 个文件的内容"
            )
            return
        done = kept_files.compact(app, timedelta(days=days))
    click.echo(
        f"compacted {done.files} files ({done.bytes} bytes); their digests are in the work log"
        if en
        else f"已清除 {done.files} 个文件的内容（{done.bytes} 字节），摘要已记入工作日志"
    )
