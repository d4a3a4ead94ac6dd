"""同步记录: every workbook version the system saw, its outcome and each finding, for its author and
the people over them; and the sync health of the personal folders (docs/domain.md §1: the regional admin
watches it)."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import Select, func, or_, select

from schema.models import Account, ChangeSet, StoredFile, VersionFinding, WorkbookVersion
from sync.domain.finding_words import finding_message
from sync.kinds import all_kinds
from sync.pipeline.outcome import Verdict
from sync.sources import sheets
from sync.watch.status import folder_status
from web import db
from web.access import ADMINS, REGION_WIDE
from web.auth import PortalUser, project_limits, roles_required, user
from web.changes import status_words
from web.i18n import lang, tr
from web.listing import Listing, contains, paged
from web.present import file_name, xlsx
from web.scope import sees_all

bp = Blueprint("versions", __name__, url_prefix="/versions")

FINDINGS_SHOWN = 1000  # findings listed on a version's page; the rest are counted


def _visible(stmt: Select[WorkbookVersion], who: PortalUser) -> Select[WorkbookVersion]:
    """A user's own versions; their region's for region-wide roles; all for group-wide roles.

    A project-limited account with a region-wide role sees, beside its own, only the versions of
    the region's accounts that are limited to its projects too: a workbook carries no single
    project, and one of an account working on every project (a rep's whole customer file, the
    operator's master data) would show other projects."""
    if sees_all(who):
        return stmt
    if who.has(*REGION_WIDE) and who.region_id is not None:
        if who.projects is not None:
            return stmt.where(WorkbookVersion.account_id.in_(project_peers(who)))
        return stmt.join(Account, WorkbookVersion.account_id == Account.id).where(
            Account.region_id == who.region_id
        )
    return stmt.where(WorkbookVersion.account_id == who.id)


def _sheet_problems(who: PortalUser) -> list[sheets.SheetStatus]:
    """Registered online sheets the user sees whose last read failed: one line each, above the log
    (a failed read leaves no version to show)."""
    ids: set[int] | None = None
    if not sees_all(who):
        if who.has(*REGION_WIDE) and who.region_id is not None:
            ids = set(db.session().scalars(select(Account.id).where(Account.region_id == who.region_id)))
        else:
            ids = {who.id}
    return [r for r in sheets.sheet_status(db.session(), account_ids=ids) if r.active and r.error]


def project_peers(who: PortalUser) -> list[int]:
    """The accounts of ``who``'s region limited to projects ``who`` is limited to (and ``who``)."""
    assert who.projects is not None
    found = db.session().scalars(select(Account).where(Account.region_id == who.region_id))
    peers = [a.id for a in found if (limits := project_limits(a)) is not None and limits <= who.projects]
    return sorted({who.id, *peers})


#: a verdict in English words (the code itself is never shown)
VERDICT_EN = {
    "accepted": "All accepted",
    "partial": "Partly accepted",
    "rejected": "Rejected",
    "unchanged": "Unchanged",
    "held": "Waiting for confirmation",
}


def verdict_title(outcome: str) -> str:
    """A verdict in the page's language."""
    try:
        return tr(Verdict(outcome).title_zh, VERDICT_EN[outcome])
    except ValueError:
        return outcome


def kind_title(kind_id: str | None) -> str:
    kinds = all_kinds()
    return kinds[kind_id].title if kind_id in kinds else (kind_id or "—")


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    who = user()
    listing = Listing.from_request(filters=("outcome", "kind"), sorts=VERSION_ORDER, default_sort="seen")
    listing = listing if listing.sort != "seen" or "sort" in request.args else _newest_first(listing)
    outcome = listing.get("outcome") or None
    kind = listing.get("kind") or None
    stmt = _visible(select(WorkbookVersion), who)
    if outcome in {v.value for v in Verdict}:
        stmt = stmt.where(WorkbookVersion.outcome == outcome)
    if kind in all_kinds():
        stmt = stmt.where(WorkbookVersion.kind == kind)
    if listing.q:  # a file name, or whose it is
        like = contains(listing.q)
        authors = select(Account.id).where(
            or_(Account.username.ilike(like, escape="\\"), Account.display_name.ilike(like, escape="\\"))
        )
        stmt = stmt.where(
            or_(WorkbookVersion.path.ilike(like, escape="\\"), WorkbookVersion.account_id.in_(authors))
        )
    listed = paged(db.session(), stmt, listing, VERSION_ORDER)
    ids = [v.id for v in listed.items]
    change_sets = {
        version_id: (cs_id, status)
        for version_id, cs_id, status in db.session().execute(
            select(ChangeSet.version_id, ChangeSet.id, ChangeSet.status).where(ChangeSet.version_id.in_(ids))
        )
    }
    return render_template(
        "versions/index.html",
        sheet_problems=_sheet_problems(who),
        versions=listed.items,
        listed=listed,
        listing=listing,
        total=listed.total,
        outcome=outcome,
        kind=kind,
        kinds=all_kinds(),
        verdicts=list(Verdict),
        verdict_title=verdict_title,
        kind_title=kind_title,
        change_sets=change_sets,
        status_words=status_words,
    )


#: the sortable columns of 同步记录 (newest first unless asked otherwise)
VERSION_ORDER = {"seen": WorkbookVersion.id, "rejected": WorkbookVersion.rows_rejected}


def _newest_first(listing: Listing) -> Listing:
    return dataclasses.replace(listing, descending=True)


def _version(version_id: int) -> WorkbookVersion:
    found = db.session().scalar(
        _visible(select(WorkbookVersion), user()).where(WorkbookVersion.id == version_id)
    )
    if found is None:
        abort(404)
    return found


@bp.route("/<int:version_id>")
@login_required
def show(version_id: int) -> ResponseReturnValue:
    version = _version(version_id)
    base = select(VersionFinding).where(VersionFinding.version_id == version.id)
    counts: dict[str, int] = {
        severity: int(n)
        for severity, n in db.session().execute(
            select(VersionFinding.severity, func.count())
            .where(VersionFinding.version_id == version.id)
            .group_by(VersionFinding.severity)
        )
    }
    # errors before warnings, each in sheet and row order: what the author fixes first
    findings = (
        db.session()
        .scalars(
            base.order_by(
                VersionFinding.severity, VersionFinding.sheet, VersionFinding.row, VersionFinding.id
            ).limit(FINDINGS_SHOWN)
        )
        .all()
    )
    return render_template(
        "versions/show.html",
        version=version,
        findings=findings,
        counts=counts,
        shown=FINDINGS_SHOWN,
        words=lambda finding: finding_message(finding, lang()),
        verdict_title=verdict_title,
        kind_title=kind_title,
    )


@bp.route("/<int:version_id>/file")
@login_required
def download(version_id: int) -> ResponseReturnValue:
    """The version's bytes exactly as they were saved (kept, content-addressed)."""
    version = _version(version_id)
    stored = db.session().get(StoredFile, version.sha256)
    if stored is None or not stored.content:  # empty: compacted by the retention policy
        abort(404)
    name = file_name(version.path)
    if not name.lower().endswith((".xlsx", ".xlsm")):  # an online sheet's snapshot (gsheets:<id>)
        name = name.replace(":", "-") + ".xlsx"
    return xlsx(stored.content, name)


@bp.route("/health")
@roles_required(*ADMINS)
def health() -> ResponseReturnValue:
    who = user()
    rows = folder_status(db.service())
    if not sees_all(who):
        prefix = f"{who.region_code}/"
        rows = [r for r in rows if r.folder.startswith(prefix)]
    return render_template("versions/health.html", rows=rows, verdict_title=verdict_title)
