"""Folders belong to people: ``ROOT/<region>/<username>/`` for every active account.

``sync_folders`` creates the personal folder of each active account in a region and puts into it the
blank template of every workbook kind the account's roles may submit. The hand-made reports of the
dual-track period go into the account's reconciliation folder ``对账/`` inside it: a report saved
there is reconciled against the system's. It never overwrites a file and never removes anything: a
disabled account's folder and history stay as they are.

It never writes outside the drive either: a region code or username outside the safe set
(``sync.domain.names``; an account made before the rule, or a row edited in the database) gets no folder,
and every folder is resolved and must be exactly ``ROOT/<region>/<username>`` under the resolved
root — no ``..``, no symbolic link leading elsewhere. Such an account is reported as refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from schema.models import Account
from sync.core.store import Store
from sync.domain.names import code_ok, username_ok
from sync.kinds import all_kinds
from sync.xlsx.templates import template_bytes


@dataclass
class FolderSync:
    folder: Path
    account: str
    created: bool = False
    templates: list[Path] = field(default_factory=list)
    refused: bool = False  # no folder: its name is unsafe or it would lie outside the drive


RECONCILE_FOLDER = "对账"
REPORTS_FOLDER = "报表"  # the scheduled reports (sync.notify.periodic); never ingested


def personal_folder(root: Path, region: str, username: str) -> Path:
    return root / region / username


def safe_folder(root: Path, region: str, username: str) -> Path | None:
    """The personal folder, or None when the names are unsafe or the folder, resolved (symbolic
    links followed), is not exactly ``<resolved root>/<region>/<username>``."""
    if not code_ok(region) or not username_ok(username):
        return None
    base = root.resolve()
    folder = personal_folder(base, region, username)
    if folder.resolve() != folder or not folder.is_relative_to(base):
        return None
    return folder


def sync_folders(app: Store, root: Path) -> list[FolderSync]:
    with app.transaction() as session:
        people = [
            (a.region.code, a.username, frozenset(a.role_keys))
            for a in session.scalars(
                select(Account).where(Account.active.is_(True)).order_by(Account.username)
            )
            if a.region is not None
        ]
    results = []
    for region, username, roles in people:
        folder = safe_folder(root, region, username)
        if folder is None:
            results.append(FolderSync(personal_folder(root, region, username), username, refused=True))
            continue
        result = FolderSync(folder, username, created=not folder.is_dir())
        folder.mkdir(parents=True, exist_ok=True)
        for kind in all_kinds().values():
            if not roles & {r.value for r in kind.submit_roles}:
                continue
            place = folder / RECONCILE_FOLDER if kind.plan == "reconcile" else folder
            if place.is_symlink():  # made by hand after the check: never followed
                continue
            place.mkdir(exist_ok=True)
            target = place / kind.template_name
            if not target.exists():
                target.write_bytes(template_bytes(kind))
                result.templates.append(target)
        results.append(result)
    return results
