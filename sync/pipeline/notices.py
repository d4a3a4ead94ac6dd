"""Events into the outbox, each inside the transaction of the change it tells about.

``after_ingest`` looks at what one committed-to-be version did — new collisions, a change set
waiting for signatures, special transactions recorded or completed by finance, a rejection — and
posts a message to each person concerned. ``after_signing`` tells the operator that their change set
applied or was rejected. ``fault`` tells the admins about a watcher or queue fault (its own
transaction: the fault is not part of any business change). The hook calls in the pipeline are one
line each; everything they need is read back from the database here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import Account, ChangeSet, Collision, SpecialTransaction, Subscription, WorkbookVersion
from schema.models.audit import PENDING
from schema.roles import Role
from sync.outbox.messages import post
from sync.outbox.settings import NotifySettings, context_of
from sync.outbox.words import FAULTS
from sync.pipeline import recipients as people

log = logging.getLogger("salesync.notify")
FIRST_ERRORS = 5


def _at(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def after_ingest(session: Session, outcome: Any) -> None:
    """Messages for what the version ``outcome`` names did (called before its transaction commits)."""
    if outcome.version_id is None:
        return
    version = session.get(WorkbookVersion, outcome.version_id)
    if version is None:
        return
    settings, lang = context_of(session)
    file = Path(version.path).name
    _collisions(session, settings, lang, version, file)
    if outcome.change_set_id is not None:
        change_set = session.get(ChangeSet, outcome.change_set_id)
        if change_set is not None and change_set.status == PENDING:
            _to_signers(session, settings, lang, change_set)
    _specials(session, settings, lang, version)
    if outcome.verdict.value == "rejected":
        _rejected(session, settings, lang, version, outcome, file)


def _collisions(
    session: Session, settings: NotifySettings, lang: str, version: WorkbookVersion, file: str
) -> None:
    """One message per rep who collided in this version, and one to each sales manager of that
    rep's region. The rep learns who owns each customer, unless the owner is in another region:
    then only that the customer is already registered."""
    by_rep: dict[int, list[Collision]] = {}
    for c in session.scalars(
        select(Collision).where(Collision.version_id == version.id).order_by(Collision.id)
    ):
        by_rep.setdefault(c.account_id, []).append(c)
    for found in by_rep.values():
        rep = found[0].account
        full = [f"- {c.customer.name}（{c.customer.phone}）：{_owner_words(c)}" for c in found]
        told = [
            f"- {c.customer.name}（{c.customer.phone}）："
            + (_owner_words(c) if c.owner.region_id == rep.region_id else "已被登记")
            for c in found
        ]
        params: dict[str, Any] = {
            "rep": rep.username,
            "rep_name": rep.display_name,
            "file": file,
            "count": len(found),
        }
        path = f"/customers/?phone={quote(found[0].customer.phone)}" if len(found) == 1 else "/customers/"
        for manager in people.holders(session, Role.SALES_MANAGER, region_id=rep.region_id):
            key = f"collision:{version.id}:{rep.id}:{manager.id}"
            post(
                session,
                manager,
                "collision",
                key,
                settings.link(path),
                lang=lang,
                version_id=version.id,
                lines=_listed(full),
                **params,
            )
        key = f"collision-rep:{version.id}:{rep.id}"
        link = settings.link(f"/versions/{version.id}")
        post(
            session,
            rep,
            "collision-rep",
            key,
            link,
            lang=lang,
            version_id=version.id,
            lines=_listed(told),
            **params,
        )


def _owner_words(c: Collision) -> str:
    return f"{c.owner.display_name}（{c.owner.username}）于 {_at(c.owner_since)} 首次录入"


def _listed(lines: list[str], shown: int = 20) -> str:
    more = [f"- …（另 {len(lines) - shown} 位）"] if len(lines) > shown else []
    return "\n".join(lines[:shown] + more)


def _to_signers(session: Session, settings: NotifySettings, lang: str, change_set: ChangeSet) -> None:
    submitter = change_set.version.account
    params: dict[str, Any] = {
        "id": change_set.id,
        "submitter": submitter.username,
        "submitter_name": submitter.display_name,
        "projects": "、".join(change_set.projects) or "—",
        "added": change_set.rows_added,
        "changed": change_set.rows_changed,
        "removed": change_set.rows_removed,
    }
    link = settings.link(f"/changes/{change_set.id}")
    for signer in people.signers(session, change_set):
        key = f"sign:{change_set.id}:{signer.id}"
        post(session, signer, "sign", key, link, lang=lang, version_id=change_set.version_id, **params)


def _specials(session: Session, settings: NotifySettings, lang: str, version: WorkbookVersion) -> None:
    new = session.scalars(select(SpecialTransaction).where(SpecialTransaction.version_id == version.id))
    for tx in new:
        sub = session.get_one(Subscription, tx.subscription_id)
        by = session.get(Account, tx.account_id) if tx.account_id else version.account
        assert by is not None
        refund = f"，退款 {tx.refund_amount:,.2f} 元" if tx.refund_amount else ""
        params = _special_params(tx, sub, by) | {"date": tx.date.isoformat(), "refund": refund}
        link = settings.link(f"/?kind={quote('特殊事务')}")
        for clerk in people.in_project(session, Role.FINANCE, sub.project_code):
            post(
                session,
                clerk,
                "special",
                f"special:{tx.no}:{clerk.id}",
                link,
                lang=lang,
                version_id=version.id,
                **params,
            )
    done = session.scalars(
        select(SpecialTransaction).where(SpecialTransaction.finance_version_id == version.id)
    )
    for tx in done:
        sub = session.get_one(Subscription, tx.subscription_id)
        params = _special_params(tx, sub, version.account) | {
            "date": tx.finance_date.isoformat() if tx.finance_date else "—",
            "note": tx.finance_note or "",
        }
        link = settings.link(f"/versions/{version.id}")
        told = people.in_project(session, Role.SALES_CONTROL, sub.project_code)
        author = session.get(Account, tx.account_id) if tx.account_id else None
        if author is not None and author not in told:
            told.append(author)
        for controller in told:
            key = f"special-done:{tx.no}:{version.id}:{controller.id}"
            post(session, controller, "special-done", key, link, lang=lang, version_id=version.id, **params)


def _special_params(tx: SpecialTransaction, sub: Subscription, by: Account) -> dict[str, Any]:
    return {
        "no": tx.no,
        "kind": tx.kind,
        "project": sub.project_code,
        "subscription": sub.no,
        "approval": tx.approval_no,
        "by": by.username,
        "by_name": by.display_name,
    }


def _rejected(
    session: Session, settings: NotifySettings, lang: str, version: WorkbookVersion, outcome: Any, file: str
) -> None:
    errors = outcome.errors
    lines = []
    for f in errors[:FIRST_ERRORS]:
        where = f"{f.sheet} 第{f.row}行 " if f.sheet and f.row else ""
        lines.append(f"- {where}{f.message(lang)}")
    if len(errors) > FIRST_ERRORS:
        lines.append(f"- …（另 {len(errors) - FIRST_ERRORS} 个）")
    post(
        session,
        version.account,
        "rejected",
        f"rejected:{version.id}",
        settings.link(f"/versions/{version.id}"),
        lang=lang,
        version_id=version.id,
        file=file,
        kind=outcome.kind or "—",
        errors=len(errors),
        first="\n".join(lines) or "-",
    )


def fault(app: Any, what: str, detail: str, where: str, *, region_id: int | None = None) -> None:
    """Tell the admins about a watcher or queue fault, once a day per fault and place. Never raises:
    a fault report that cannot be written (the database is the fault) is only logged."""
    try:
        with app.transaction() as session:
            settings = NotifySettings.of(app.config)
            day = now().astimezone(SHANGHAI).date().isoformat()
            for admin in people.admins(session, region_id):
                key = f"fault:{what}:{hashlib.sha1(where.encode()).hexdigest()[:16]}:{day}:{admin.id}"
                post(
                    session,
                    admin,
                    "fault",
                    key,
                    settings.link("/versions/health"),
                    lang=app.config.lang,
                    what=FAULTS[what][app.config.lang == "en"] if what in FAULTS else what,
                    detail=f"：{detail}" if detail else "",
                    where=where,
                )
    except Exception:  # the watcher must go on whatever happens to a fault report
        log.exception("could not record the fault %s for the admins", what)
