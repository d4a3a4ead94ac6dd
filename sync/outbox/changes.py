"""The operator is told when their change set applies or is rejected: one line in ``sync.domain.signing``
calls ``after_signing`` inside the signing transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from schema.models import ChangeSet
from schema.models.audit import APPLIED, REJECT, REJECTED
from sync.outbox.messages import post
from sync.outbox.settings import context_of


def after_signing(session: Session, result: Any) -> Any:
    """Tell the operator that their change set applied or was rejected; returns ``result``."""
    if result.status not in (APPLIED, REJECTED):
        return result
    change_set = session.get_one(ChangeSet, result.change_set_id)
    settings, lang = context_of(session)
    operator = change_set.version.account
    projects = "、".join(change_set.projects) or "—"
    link = settings.link(f"/changes/{change_set.id}")
    if result.status == APPLIED:
        signers = "、".join(s.account.display_name for s in change_set.signatures if s.meaning != REJECT)
        post(
            session,
            operator,
            "change-applied",
            f"change:{change_set.id}",
            link,
            lang=lang,
            id=change_set.id,
            projects=projects,
            rows=result.rows_written,
            signers=signers,
        )
    else:
        refusal = next(s for s in reversed(change_set.signatures) if s.meaning == REJECT)
        post(
            session,
            operator,
            "change-rejected",
            f"change:{change_set.id}",
            link,
            lang=lang,
            id=change_set.id,
            projects=projects,
            by=refusal.account.username,
            by_name=refusal.account.display_name,
            reason=refusal.reason or "—",
        )
    return result
