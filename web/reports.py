"""报表: the reports of docs/domain.md §4 and the further ones, for one project or a whole region and a
period, as an HTML table and as the same report in a formatted Excel workbook.

The page reads the request and calls ``sync.reports``; columns, totals and the Excel layout come
from ``sync.kinds.reports`` and ``sync.reports.export``. Everything is in GET parameters, so a report's
address can be bookmarked. Which projects and regions a user may choose is decided on the server
(``web.scope``, as for every page): group-wide roles see every region, everyone else only their
own region's projects.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pandas as pd
from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.spec import ColType, Column
from sync.kinds.reports import FURTHER, REPORTS, ReportSpec
from sync.reports import NoBuilder, build_for
from sync.reports.export import column_total, number_format, write_report
from web import db
from web.access import REPORT_READERS
from web.auth import roles_required, user
from web.i18n import tr
from web.listing import Listing, Page
from web.params import plausible
from web.present import xlsx_file
from web.report_charts import charts_for
from web.scope import project_in_scope, region_in_scope, visible_projects, visible_regions

bp = Blueprint("reports", __name__, url_prefix="/reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML_ROWS = 2000  # more rows than this are in the Excel download only
PAGE_ROWS = 100  # rows on one page of the report (the pager reaches the rest)


# -- the request ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One report for one scope and period, as the GET parameters name it."""

    spec: ReportSpec
    project: str | None
    region: str | None
    label: str  # the scope in words
    start: dt.date
    end: dt.date
    at: dt.date | None = None  # figures as of this day (the period's end when None)

    @property
    def args(self) -> dict[str, str]:
        """The GET parameters that ask for this report again (the page's and the download's)."""
        scope = f"project:{self.project}" if self.project else f"region:{self.region}"
        args = {"report": self.spec.id, "scope": scope, "from": f"{self.start}", "to": f"{self.end}"}
        if self.at is not None:
            args["at"] = f"{self.at}"
        return args

    @property
    def subtitle(self) -> str:
        text = tr("%s，%s 至 %s", "%s, %s to %s") % (self.label, self.start, self.end)
        return text + (tr("，截至 %s", ", as of %s") % self.at if self.at else "")

    @property
    def filename(self) -> str:
        return f"{self.spec.title}_{self.project or self.region}_{self.start}_{self.end}.xlsx"


def _date(name: str, default: dt.date, errors: list[str]) -> dt.date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return plausible(dt.date.fromisoformat(raw))
    except ValueError:
        errors.append(
            tr("日期“%s”无法识别，请按 YYYY-MM-DD 填写", "Cannot read the date “%s”: use YYYY-MM-DD") % raw
        )
        return default


def _query(session: Session) -> tuple[Query | None, list[str]]:
    """The report the parameters ask for, or the reasons it cannot be made; a scope the user may not
    see is refused with 404."""
    report_id = request.args.get("report", "")
    spec = REPORTS.get(report_id) or FURTHER.get(report_id)
    if spec is None:
        abort(404)
    kind, _, code = request.args.get("scope", "").partition(":")
    if kind == "project":
        project = project_in_scope(session, code)
        label = tr("项目 %s（%s）", "Project %s (%s)") % (project.name, project.code)
    elif kind == "region":
        region = region_in_scope(session, code)
        label = tr("地区 %s（%s）全部项目", "All projects of region %s (%s)") % (region.name, region.code)
    else:
        abort(404)
    errors: list[str] = []
    today = dt.datetime.now(SHANGHAI).date()
    end = _date("to", today, errors)
    start = _date("from", end.replace(day=1), errors)
    at = _date("at", end, errors) if request.args.get("at", "").strip() else None
    if not errors and start > end:
        errors.append(tr("期间起不能晚于期间止", "The period cannot start after it ends"))
    if errors:
        return None, errors
    if kind == "project":
        return Query(spec, code, None, label, start, end, at), []
    return Query(spec, None, code, label, start, end, at), []


def _build(session: Session, query: Query) -> pd.DataFrame:
    return build_for(
        session, query.spec, query.start, query.end, project=query.project, region=query.region, at=query.at
    )


# -- the views ------------------------------------------------------------------------------------


def shown(col: Column, value: Any) -> str:
    """A report cell as the page shows it: numbers with separators and the column's decimals."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    fmt = number_format(col) or ""
    if col.type is ColType.YES_NO:
        return "是" if bool(value) else "否"  # report data, as in the Excel export
    if fmt.endswith("%"):
        return f"{float(value):.2%}"
    if col.type in (ColType.DECIMAL, ColType.INTEGER):
        places = len(fmt.partition(".")[2])  # "#,##0.00" → 2, as Excel shows it
        return f"{Decimal(str(value)):,.{places}f}"
    if isinstance(value, dt.datetime):
        wall = value.astimezone(SHANGHAI) if value.tzinfo else value
        return wall.strftime("%Y-%m-%d %H:%M" if col.type is ColType.DATETIME else "%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _form(session: Session) -> dict[str, Any]:
    today = dt.datetime.now(SHANGHAI).date()
    regions = visible_regions(session)
    own = user().region_code
    default_scope = f"region:{own}" if own else (f"region:{regions[0].code}" if regions else "")
    return {
        "reports": list(REPORTS.values()),
        "further": list(FURTHER.values()),
        "regions": regions,
        "projects": visible_projects(session),
        "report": request.args.get("report", "sales_detail"),
        "scope": request.args.get("scope", default_scope),
        "from": request.args.get("from", today.replace(day=1).isoformat()),
        "to": request.args.get("to", today.isoformat()),
        "at": request.args.get("at", ""),
    }


@bp.route("/")
@roles_required(*REPORT_READERS)
def index() -> ResponseReturnValue:
    session = db.session()
    form = _form(session)
    if "report" not in request.args:
        return render_template("reports/index.html", form=form, query=None, errors=[])
    query, errors = _query(session)
    if query is None:
        return render_template("reports/index.html", form=form, query=None, errors=errors), 400
    try:
        frame = _build(session, query)
    except NoBuilder:
        message = tr("系统暂不能生成“%s”", "The system cannot build “%s” yet") % query.spec.title
        return render_template("reports/index.html", form=form, query=None, errors=[message]), 501
    listing = Listing.from_request(sorts=query.spec.fields, size=min(PAGE_ROWS, HTML_ROWS))
    listing = replace(listing, size=min(listing.size, HTML_ROWS))
    page = _page(frame, query.spec, listing)
    rows = [[shown(c, v) for c, v in zip(query.spec.columns, values, strict=True)] for values in page.items]
    totals = {
        f: shown(query.spec.column(f), column_total(frame[f]))
        for f in query.spec.totals
        if f != query.spec.fields[0]  # the first column says 合计, as in the Excel export
    }
    return render_template(
        "reports/index.html",
        form=form,
        query=query,
        errors=[],
        rows=rows,
        count=len(frame),
        hidden=max(len(frame) - page.last, 0) if page.page == 1 else 0,
        listed=page,
        listing=listing,
        charts=charts_for(query.spec.id, frame),
        totals=totals,
        numeric={c.field for c in query.spec.columns if c.type in (ColType.DECIMAL, ColType.INTEGER)},
    )


@bp.route("/download")
@roles_required(*REPORT_READERS)
def download() -> ResponseReturnValue:
    session = db.session()
    query, _errors = _query(session)
    if query is None:
        abort(400)
    try:
        frame = _build(session, query)
    except NoBuilder:
        abort(404)
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- closed with the response that streams it
    write_report(out, query.spec, frame, query.subtitle, author=user().name)
    return xlsx_file(out, query.filename)


def _page(frame: pd.DataFrame, spec: ReportSpec, listing: Listing) -> Page[tuple[Any, ...]]:
    """The page's rows of the report, cut in pandas: in the report's own order, or sorted by the
    chosen column (blanks last, the report's order kept among equals)."""
    part = frame[spec.fields]
    if listing.sort:
        try:
            part = part.sort_values(
                listing.sort, ascending=not listing.descending, na_position="last", kind="stable"
            )
        except TypeError:  # mixed kinds of value: as text
            keyed = part[listing.sort].map(lambda v: "" if _blank(v) else str(v))
            part = part.iloc[keyed.argsort(kind="stable")[:: -1 if listing.descending else 1]]
    cut = part.iloc[listing.offset : listing.offset + listing.size]
    return Page(list(cut.itertuples(index=False, name=None)), len(frame), listing)


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
