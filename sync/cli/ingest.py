"""``salesync ingest``: one saved workbook through the pipeline, with progress for big ones; and how an
outcome reads on a terminal (shared with ``salesync demo``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sync.app import Salesync
from sync.cli.common import errors, service
from sync.pipeline.outcome import Outcome
from sync.pipeline.progress import LABELS, STAGES

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


LINES_PER_CODE = 20  # findings of one code printed before the rest is counted instead


def print_outcome(outcome: Outcome, lang: str) -> None:
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


@click.command()
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
    app = service(ctx)
    lang = lang or app.config.lang
    outcomes = []
    show = sys.stderr.isatty() if progress is None else progress
    with errors():
        app.require_initialised()
        if show:
            outcomes = _ingest_with_progress(app, files, username, allow_removals, not no_write_back, lang)
        for path in files if not show else ():
            outcome = app.ingest(path, username, allow_removals=allow_removals, write_back=not no_write_back)
            outcomes.append(outcome)
            if not as_json:
                print_outcome(outcome, lang)
        if show and not as_json:
            for outcome in outcomes:
                print_outcome(outcome, lang)
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
