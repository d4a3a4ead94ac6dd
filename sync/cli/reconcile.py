"""``salesync reconcile`` and ``salesync mismatch``: dual-track reconciliation from the command line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from schema.base import SHANGHAI
from schema.models.reconcile import EXPLANATIONS
from sync.cli.common import errors, service
from sync.cli.exits import NotDone
from sync.domain.accounts import get_account
from sync.kinds.reports import REPORTS
from sync.pipeline.reconcile_file import reconcile_file
from sync.reconcile.cadence import missing
from sync.reconcile.compare import Difference
from sync.reconcile.runs import explain
from sync.reports import Scope


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="对账人账号。")
@click.option(
    "--report",
    "report_id",
    type=click.Choice(sorted(REPORTS)),
    help="报表（使用自己的表格而非手工报表模板时必填）。",
)
@click.option("--project", help="项目编码（使用自己的表格时必填）。")
@click.option("--from", "period_from", type=click.DateTime(["%Y-%m-%d"]), help="期间起，如 2026-11-01。")
@click.option("--to", "period_to", type=click.DateTime(["%Y-%m-%d"]), help="期间止（含）。")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="标注差异的工作簿（默认：<文件名>.对账.xlsx）。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部差异。")
@click.pass_context
def reconcile(
    ctx: click.Context,
    file: Path,
    username: str,
    report_id: str | None,
    project: str | None,
    period_from: dt.datetime | None,
    period_to: dt.datetime | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """把手工报表与系统报表逐格核对；标注差异后另存，退出码 0 = 一致，1 = 有差异，2 = 无法核对。"""

    app = service(ctx)
    scope = None
    if project and period_from and period_to:
        scope = Scope(project, period_from.date(), period_to.date())
    with errors():
        done = reconcile_file(app, file, username, report_id=report_id, scope=scope, out=out)
    if as_json:
        payload = {
            "file": str(file),
            "report": done.report.id if done.report else None,
            "export": str(done.export) if done.export else None,
            "errors": [f.as_dict() for f in done.findings],
            "result": done.result,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for finding in done.findings:
            click.echo(f"✗ {finding.message()}", err=True)
        if done.result is not None and done.report is not None:
            r = done.result
            counts = r["counts"]
            click.echo(
                f"{done.report.title} 项目 {r['project']} {r['period'][0]} 至 {r['period'][1]}："
                f"手工 {r['manual_rows']} 行，系统 {r['system_rows']} 行，一致匹配 {r['matched_rows']} 行"
            )
            if r["agrees"]:
                click.echo("✓ 完全一致")
            else:
                click.echo(
                    f"差异：仅手工有 {counts['only-manual']}，仅系统有 {counts['only-system']}，"
                    f"单元格不一致 {counts['cell']}，重复行 {counts['duplicate-key']}；疑似录入延迟 {r['date_lag']}"
                )
                for m in r["mismatches"][:50]:
                    where = f"第 {m['row']} 行 " if m["row"] else ""
                    what = f"“{m['header']}” 手工 {m['manual']} / 系统 {m['system']}" if m["header"] else ""
                    lag = "（疑似录入延迟）" if m["likely"] else ""
                    click.echo(
                        f"  #{m['id']} {Difference(m['difference']).label} {m['key']} {where}{what}{lag}"
                    )
                for t in r["totals"]:
                    if t["difference"] not in ("0", "0.00", "0.0000"):
                        click.echo(
                            f"  合计“{t['header']}”：手工 {t['manual']}，系统 {t['system']}，差额 {t['difference']}"
                        )
            click.echo(f"已标注差异：{done.export}")
    if done.rejected:
        sys.exit(2)
    sys.exit(0 if done.agrees else 1)


@click.group()
def mismatch() -> None:
    """对账差异的说明。"""


@mismatch.command("explain")
@click.argument("item_id", type=int)
@click.option("--as", "username", required=True, help="说明人账号。")
@click.option("--reason", type=click.Choice(EXPLANATIONS), required=True, help="差异原因。")
@click.option("--note", default=None, help="备注。")
@click.pass_context
def mismatch_explain(ctx: click.Context, item_id: int, username: str, reason: str, note: str | None) -> None:
    """把一项对账差异标记为已说明（录入延迟 / 手工错误 / 系统错误 / 其他）。"""

    app = service(ctx)
    with errors(), app.transaction() as session:
        account = get_account(session, username)
        try:
            item = explain(session, item_id, account, reason, note)
        except LookupError:
            raise NotDone(f"没有编号为 {item_id} 的对账差异") from None
        click.echo(f"✓ 差异 #{item.id}（{item.key}）已说明：{reason}")


@click.command()
@click.option("--project", required=True, help="项目编码。")
@click.option("--from", "period_from", type=click.DateTime(["%Y-%m-%d"]), required=True, help="起始日期。")
@click.option("--to", "period_to", type=click.DateTime(["%Y-%m-%d"]), help="截止日期（默认：昨天）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def cadence(
    ctx: click.Context, project: str, period_from: dt.datetime, period_to: dt.datetime | None, as_json: bool
) -> None:
    """双轨制核对缺漏：哪些手工报表在哪一天、哪一周、哪一月还没有与系统核对。"""
    app = service(ctx)
    end = period_to.date() if period_to else dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=1)
    with errors(), app.transaction() as session:
        gaps = missing(session, project, period_from.date(), end)
    if as_json:
        click.echo(json.dumps([g.as_dict() for g in gaps], ensure_ascii=False, indent=2))
    else:
        if not gaps:
            click.echo(f"✓ 项目 {project} {period_from.date()} 至 {end} 的手工报表均已核对")
        for g in gaps:
            period = (
                g.period_from.isoformat() if g.cadence.value == "day" else f"{g.period_from} 至 {g.period_to}"
            )
            click.echo(f"✗ {REPORTS[g.report_id].title}（{g.cadence.label}）{period} 未核对")
    sys.exit(1 if gaps else 0)
