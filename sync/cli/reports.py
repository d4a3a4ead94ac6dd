"""``salesync report``: the system's reports as formatted Excel workbooks."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path

import click
from sqlalchemy import select

from schema.base import SHANGHAI
from schema.models import Project
from sync.app import Salesync
from sync.cli.common import errors, service
from sync.cli.exits import NotDone
from sync.kinds.reports import FURTHER, REPORTS, get_report
from sync.pipeline.feedback import replace_atomically
from sync.reports import NoBuilder, Scope, build_for, projects_of_region
from sync.reports.board import board_workbook
from sync.reports.export import column_total, report_workbook
from sync.reports.runs import record_run, row_keys

BOARD = "board"
CHOICES = sorted(REPORTS) + sorted(FURTHER) + [BOARD]


@click.command()
@click.argument("report_id", metavar="ID", type=click.Choice(CHOICES))
@click.option("--project", help="项目编码。")
@click.option("--region", help="地区编码（该地区全部项目）。")
@click.option("--from", "period_from", type=click.DateTime(["%Y-%m-%d"]), help="期间起（默认：本月 1 日）。")
@click.option("--to", "period_to", type=click.DateTime(["%Y-%m-%d"]), help="期间止，含当天（默认：今天）。")
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%d"]),
    help="数字截至哪一天（默认：期间止；楼盘表默认今天）。过去期间重跑时，晚录入的行会标出。",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="输出的 .xlsx 文件。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出各行（不写文件时）。")
@click.pass_context
def report(
    ctx: click.Context,
    report_id: str,
    project: str | None,
    region: str | None,
    period_from: dt.datetime | None,
    period_to: dt.datetime | None,
    at: dt.datetime | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """生成报表。docs/domain.md §4 的七张：sales_detail 销售明细分析表、cancellations 退房明细表、
    room_changes 换房明细表、calls_visits 来电来访明细表、sales_summary 销售汇总表、receipts 收退款明细表、
    mortgages 按揭情况列表；另有 board 楼盘表、collisions 撞单记录表、dormant 休眠客户表、
    timeliness 录入及时性统计表、collections_due 催款表、true_ups 面积补差表、workload 置业顾问工作量统计表。"""

    if bool(project) == bool(region):
        raise click.UsageError("请指定 --project 或 --region 之一")
    today = dt.datetime.now(SHANGHAI).date()
    end = period_to.date() if period_to else today
    start = period_from.date() if period_from else end.replace(day=1)
    if start > end:
        raise click.UsageError("--from 不能晚于 --to")
    app = service(ctx)
    with errors(), app.transaction() as session:
        if project and session.scalar(select(Project.id).where(Project.code == project)) is None:
            raise click.UsageError(f"没有编码为 {project} 的项目")
        if region and not projects_of_region(session, region):
            raise click.UsageError(f"地区 {region} 没有项目")
    day = at.date() if at else None
    if report_id == BOARD:
        _board(app, project, region, out, day or (period_to.date() if period_to else None))
        return
    spec = get_report(report_id)
    marks: list[str | None] | None = None
    with errors(), app.transaction() as session:
        try:
            frame = build_for(session, spec, start, end, project=project, region=region, at=day)
        except NoBuilder:
            raise NotDone(f"系统暂不能生成“{spec.title}”") from None
        if project:  # the run is kept: a later run of the same period marks what changed since
            found = record_run(session, spec, Scope(project, start, end, day), frame)
            marks = [found.mark_of(k) for k in row_keys(spec, frame)]
    scope = f"项目 {project}" if project else f"地区 {region}"
    subtitle = f"{scope}，{start} 至 {end}" + (f"，截至 {day}" if day else "")
    if out is not None:
        replace_atomically(out, report_workbook(spec, frame, subtitle, marks, author=_who()))
        click.echo(f"✓ {spec.title}（{subtitle}）：{len(frame)} 行 → {out}")
    elif as_json:
        rows = json.loads(
            frame.to_json(orient="records", date_format="iso", force_ascii=False, default_handler=str)
        )
        changed = [
            {"row": i, "key": k, "why": m}
            for i, (k, m) in enumerate(zip(row_keys(spec, frame), marks or [], strict=False))
            if m
        ]
        click.echo(
            json.dumps(
                {"report": spec.id, "scope": subtitle, "rows": rows, "changed": changed},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(f"{spec.title}（{subtitle}）：{len(frame)} 行；用 --out FILE.xlsx 导出")
        for name in spec.totals:
            click.echo(f"  {spec.header(name)} 合计：{column_total(frame[name])}")
        for mark in filter(None, marks or []):
            click.echo(f"  ！{mark}")


def _board(
    app: object, project: str | None, region: str | None, out: Path | None, day: dt.date | None
) -> None:
    assert isinstance(app, Salesync)
    if out is None:
        raise click.UsageError("楼盘表请用 --out FILE.xlsx 指定输出文件")
    with errors(), app.transaction() as session:
        codes = [project] if project else projects_of_region(session, region or "")
        if len(codes) != 1:
            raise click.UsageError("楼盘表按项目生成：请用 --project 指定一个项目")
        data = board_workbook(session, codes[0], day)
    replace_atomically(out, data)
    click.echo(f"✓ 楼盘表（项目 {codes[0]}）→ {out}")


def _who() -> str | None:
    """The 制表人 of a report made on the command line: the operating-system user running it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return None
