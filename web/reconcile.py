"""双轨对账 (docs/domain.md §8): controllers upload their hand-made reports, review the mismatches with
the system's report cell by cell, mark each explained and download the manual workbook with the
differing cells highlighted. Runs come from ``sync.reconcile.runs`` (also behind
``salesync reconcile`` and the reconciliation folder); a user sees the runs of their region's
projects, the group-wide roles every region's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from schema.models import Account, ReconciliationItem
from schema.models.reconcile import EXPLANATIONS
from sync.kinds.reports import REPORTS
from sync.pipeline.reconcile_file import manual_template
from sync.reconcile.cadence import Cadence
from sync.reconcile.compare import Difference
from sync.reconcile.runs import explain
from web import db
from web.access import RECONCILERS
from web.auth import roles_required, user
from web.i18n import tr
from web.listing import Listing
from web.present import xlsx
from web.reconcile_cadence import cadence_label, cadence_view
from web.reconcile_dashboard import dashboard, month_of
from web.reconcile_files import marked_export, reconcile_upload, scope_from_form, upload_name
from web.reconcile_views import (
    ITEMS_PER_PAGE,
    RUN_FILTERS,
    RUN_ORDER,
    RUNS_PER_PAGE,
    RunRow,
    account_name,
    counts_by_run,
    explainers,
    find_run,
    item_filter,
    items_page,
    kind_label,
    reason_label,
    run_accounts,
    run_rows,
)
from web.scope import visible_projects

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")
UPLOAD_FIELDS = ("report", "project", "period_from", "period_to")
HELPERS = {
    "kind_label": kind_label,
    "reason_label": reason_label,
    "cadence_label": cadence_label,
}


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _newest_first(listing: Listing) -> Listing:
    """The runs newest first unless a column was asked for (then as asked)."""
    if request.args.get("sort") in RUN_ORDER:
        return listing
    return dataclasses.replace(listing, descending=True)


def _index(errors: list[str] | None = None, status: int = 200) -> ResponseReturnValue:
    session, viewer = db.session(), user()
    listing = _newest_first(
        Listing.from_request(filters=RUN_FILTERS, sorts=RUN_ORDER, default_sort="at", size=RUNS_PER_PAGE)
    )
    runs = run_rows(session, viewer, listing)
    projects = visible_projects(session, viewer)
    form = {name: request.form.get(name, "").strip() for name in UPLOAD_FIELDS}
    page_html = render_template(
        "reconcile/index.html",
        rows=runs.items,
        runs=runs,
        listing=listing,
        project=listing.get("project") or None,
        accounts=run_accounts(session, viewer),
        projects=projects,
        reports=REPORTS,
        cadences=list(Cadence),
        cadence=cadence_view(session, [p.code for p in projects]),
        dash=dashboard(session, viewer, month_of(request.args.get("month"))),
        errors=errors or [],
        form=form,
        **HELPERS,
    )
    return page_html, status


@bp.route("/")
@roles_required(*RECONCILERS)
def index() -> ResponseReturnValue:
    return _index()


@bp.post("/upload")
@roles_required(*RECONCILERS)
def upload() -> ResponseReturnValue:
    file = request.files.get("file")
    name = upload_name(file.filename if file else None)
    if file is None or name is None:
        return _index([tr("请选择一个 .xlsx 工作簿上传", "Choose an .xlsx workbook to upload")], 400)
    report_id, scope, errors = scope_from_form(*(request.form.get(f, "").strip() for f in UPLOAD_FIELDS))
    if errors:
        return _index(errors, 400)
    done = reconcile_upload(db.service(), db.session(), user(), name, file.read(), report_id, scope)
    if done.errors or done.run_id is None:
        return _index(done.errors, 400)
    if done.repeated:
        flash(
            tr(
                "这份文件与之前对账过的完全相同，下面是当时的结果",
                "This file is identical to one reconciled before; here is that result",
            ),
            "info",
        )
    for warning in done.warnings:
        flash(warning, "warning")
    return redirect(url_for("reconcile.run", run_id=done.run_id))


def _filters() -> dict[str, Any]:
    kind = request.values.get("kind", "")
    return {
        "kind": kind if kind in {d.value for d in Difference} else "",
        "unexplained": request.values.get("unexplained") == "1",
        "q": request.values.get("q", "").strip()[:200],
    }


@bp.route("/<int:run_id>")
@roles_required(*RECONCILERS)
def run(run_id: int) -> ResponseReturnValue:
    session = db.session()
    found = find_run(session, user(), run_id)
    filters, page = _filters(), _page()
    items, total = items_page(
        session, found, filters["kind"] or None, filters["unexplained"], page, filters["q"]
    )
    counts, explained = counts_by_run(session, [found.id])[found.id]
    return render_template(
        "reconcile/run.html",
        row=RunRow(found, account_name(session, found.account_id), counts, explained),
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // ITEMS_PER_PAGE)),
        filters=filters,
        kinds=list(Difference),
        reasons=EXPLANATIONS,
        explained_by=explainers(session, items),
        **HELPERS,
    )


@bp.post("/<int:run_id>/items/<int:item_id>/explain")
@roles_required(*RECONCILERS)
def explain_item(run_id: int, item_id: int) -> ResponseReturnValue:
    find_run(db.session(), user(), run_id)
    filters = _filters()
    back = url_for(
        "reconcile.run",
        run_id=run_id,
        kind=filters["kind"] or None,
        unexplained="1" if filters["unexplained"] else None,
        _anchor=f"item-{item_id}",
    )
    reason = request.form.get("reason", "")
    if reason not in EXPLANATIONS:
        flash(tr("请选择差异原因", "Choose why the mismatch happened"), "error")
        return redirect(back)
    note = request.form.get("note", "").strip()[:1000] or None
    with db.transaction() as session:
        item = session.get(ReconciliationItem, item_id)
        if item is None or item.run_id != run_id:
            abort(404)
        explainer = session.get(Account, user().id)
        assert explainer is not None
        explain(session, item_id, explainer, reason, note)
    flash(
        tr(f"差异 #{item_id} 已说明：{reason}", f"Mismatch #{item_id} explained: {reason_label(reason)}"),
        "success",
    )
    return redirect(back)


@bp.post("/<int:run_id>/explain")
@roles_required(*RECONCILERS)
def explain_many(run_id: int) -> ResponseReturnValue:
    """One explanation for many mismatches: the ticked ones, or (``all=1``) every one the filter matches
    — a date shift of a whole batch is one decision, not two hundred."""
    session = db.session()
    found = find_run(session, user(), run_id)
    filters = _filters()
    back = url_for(
        "reconcile.run",
        run_id=run_id,
        kind=filters["kind"] or None,
        unexplained="1" if filters["unexplained"] else None,
        q=filters["q"] or None,
    )
    reason = request.form.get("reason", "")
    if reason not in EXPLANATIONS:
        flash(tr("请选择差异原因", "Choose why the mismatch happened"), "error")
        return redirect(back)
    note = request.form.get("note", "").strip()[:1000] or None
    where = item_filter(found, filters["kind"] or None, filters["unexplained"], filters["q"])
    if request.form.get("all") != "1":
        ticked = [int(i) for i in request.form.getlist("item") if i.isdigit()]
        if not ticked:
            flash(tr("请先勾选要说明的差异", "Tick the mismatches first"), "error")
            return redirect(back)
        where.append(ReconciliationItem.id.in_(ticked))
    with db.transaction() as s:
        explainer = s.get(Account, user().id)
        assert explainer is not None
        ids = list(s.scalars(select(ReconciliationItem.id).where(*where).order_by(ReconciliationItem.id)))
        for item_id in ids:
            explain(s, item_id, explainer, reason, note)
    flash(
        tr(f"已说明 {len(ids)} 项差异：{reason}", f"{len(ids)} mismatches explained: {reason_label(reason)}"),
        "success",
    )
    return redirect(back)


@bp.route("/template/<report_id>")
@roles_required(*RECONCILERS)
def template(report_id: str) -> ResponseReturnValue:
    """A report's empty manual-report template, to fill in by hand and upload here."""
    try:
        data, name = manual_template(report_id)
    except KeyError:
        abort(404)
    return xlsx(data, name)


@bp.route("/<int:run_id>/export")
@roles_required(*RECONCILERS)
def export(run_id: int) -> ResponseReturnValue:
    session = db.session()
    found = find_run(session, user(), run_id)
    marked = marked_export(session, found)
    if marked is None:
        flash(
            tr(
                "找不到这次对账的手工报表原件，无法导出",
                "The manual workbook of this run is not kept; nothing to export",
            ),
            "error",
        )
        return redirect(url_for("reconcile.run", run_id=run_id))
    data, name = marked
    return xlsx(data, name)
