"""The outbox: messages written inside the transaction of what they tell about.

``post`` adds one message for one account unless the account opted out of its kind or the message's
key is already there (``INSERT … ON CONFLICT DO NOTHING``: two schedulers making the same digest,
or one event seen twice, leave one row). Nothing is sent here; ``sync.notify.sender`` does that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import Account, NotifyMessage, NotifySetting
from schema.models.notify import PENDING
from sync.outbox.words import OPTIONAL, family, render


class Poster(Protocol):
    """What posts a message: :func:`post` itself, or :meth:`Drafts.post` that keeps it for later."""

    def __call__(
        self,
        session: Session,
        account: Account,
        code: str,
        key: str,
        link: str | None,
        *,
        lang: str = ...,
        attachments: list[Path] | None = ...,
        **params: Any,
    ) -> bool: ...


def muted(session: Session, account_id: int) -> set[str]:
    setting = session.get(NotifySetting, account_id)
    return {k for k in (setting.muted if setting else "").split(",") if k}


def post(
    session: Session,
    account: Account,
    code: str,
    key: str,
    link: str | None,
    *,
    lang: str = "zh",
    attachments: list[Path] | None = None,
    version_id: int | None = None,
    **params: Any,
) -> bool:
    """Record one message to ``account``; False when it opted out, is disabled, or the key is known."""
    if not account.active:
        return False
    kind = family(code)
    if kind in OPTIONAL and kind in muted(session, account.id):
        return False
    subject, body = render(code, lang, **params)
    at = now()
    values = {
        "key": key[:200],
        "kind": kind,
        "account_id": account.id,
        "subject": subject[:300],
        "body": body,
        "link": link,
        "version_id": version_id,
        "attachments": json.dumps([str(p) for p in attachments], ensure_ascii=False) if attachments else None,
        "state": PENDING,
        "attempts": 0,
        "created_at": at,
        "next_attempt_at": at,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(NotifyMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(NotifyMessage.id)  # a row back only when inserted
    )
    return session.execute(stmt).first() is not None


def accounts(session: Session, ids: set[int]) -> list[Account]:
    if not ids:
        return []
    return list(session.scalars(select(Account).where(Account.id.in_(ids)).order_by(Account.id)))


@dataclass
class Drafts:
    """Messages made while reading (a scheduled job's long computation holds no write lock), then
    posted in one short transaction: ``drafts.post`` takes the arguments of :func:`post`."""

    items: list[tuple[int, str, str, str | None, str, list[Path] | None, dict[str, Any]]] = field(
        default_factory=list
    )

    def post(
        self,
        session: Session,
        account: Account,
        code: str,
        key: str,
        link: str | None,
        *,
        lang: str = "zh",
        attachments: list[Path] | None = None,
        **params: Any,
    ) -> bool:
        self.items.append((account.id, code, key, link, lang, attachments, params))
        return True

    def flush(self, session: Session) -> int:
        """Post every draft in ``session``; how many were new."""
        made = 0
        for account_id, code, key, link, lang, attachments, params in self.items:
            account = session.get_one(Account, account_id)
            made += post(session, account, code, key, link, lang=lang, attachments=attachments, **params)
        self.items.clear()
        return made
