"""Signed master-data changes (签字确认, docs/domain.md §6): who must sign, signing, rejecting, applying.

The service every interface calls (CLI today, the portal later), always inside the caller's
transaction: ``sign`` and ``reject`` take the signer's re-entered password. A signature binds to the
change set's content hash and is sealed with the work log's key; it counts only while both hold,
the signer is still active, in the region, holds a signing role and is not the submitter, and only
once per person. When the counted signatures satisfy the requirement the change set applies in the
same transaction; if its base no longer matches the database, nothing is recorded or applied and
the conflicting fields are named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import Account, ChangeItem, ChangeSet, Signature
from schema.models.audit import APPLIED, APPROVE, PENDING, REJECT, REJECTED
from schema.roles import Role
from sync.core.errors import Refused
from sync.domain.accounts import get_account, verify_password
from sync.domain.changeset_apply import Progress, apply_in_bulk
from sync.domain.changesets import (
    Conflict,
    Requirement,
    conflicts,
    content_hash,
    content_hash_of,
    item_rows,
    required_titles,
    requirements,
)
from sync.domain.guard import Orphan, orphans
from sync.domain.sign_rights import refusal, regions, signing_roles
from sync.domain.workdays import DEFAULT_CALENDAR, WorkCalendar
from sync.domain.worklog import LogWriter, seal, session_key
from sync.outbox.changes import after_signing
from validators.messages import render


class SigningRefused(Refused):
    """签字未被接受："""

    def message(self, lang: str = "zh") -> str:
        return render(self.code, lang, **self.params)


class ChangeSetConflict(SigningRefused):
    """变更单未生效："""

    def __init__(self, change_set_id: int, found: list[Conflict]) -> None:
        self.conflicts = found
        super().__init__(
            "sign-conflict",
            change_set=change_set_id,
            count=len(found),
            fields="；".join(c.describe() for c in found),
        )


# -- who may sign: sync.domain.sign_rights ------------------------------------------------------


def why_not(session: Session, change_set: ChangeSet, account: Account, lang: str) -> str | None:
    """Why ``account`` may not sign ``change_set`` now, in words, or None when they may (a change
    set no longer pending needs no signature, so there is nothing to refuse)."""
    if change_set.status != PENDING:
        return None
    if any(s.account_id == account.id for s in change_set.signatures):
        code: str | None = "sign-already-signed"
    else:
        code = refusal(session, change_set, account)
    return render(code, lang, change_set=change_set.id, account=account.username) if code else None


def _seal(key: bytes, sig: Signature) -> str:
    return seal(
        key,
        "signature",
        sig.change_set_id,
        sig.account_id,
        sig.role,
        sig.meaning,
        sig.reason,
        sig.signed_at.astimezone(dt.UTC).isoformat(),
        sig.content_hash,
    )


def counted_approvals(session: Session, change_set: ChangeSet, digest: str | None = None) -> list[Signature]:
    """The approvals that count: sealed, bound to the current content, by an eligible signer, once each
    (``digest``: the content hash already computed)."""
    key, current = session_key(session), digest or content_hash(change_set)
    counted: dict[int, Signature] = {}
    for sig in change_set.signatures:
        if sig.meaning != APPROVE or sig.account_id in counted:
            continue
        if sig.seal != _seal(key, sig) or sig.content_hash != current:
            continue
        if refusal(session, change_set, sig.account) is not None:
            continue
        counted[sig.account_id] = sig
    return list(counted.values())


def missing(session: Session, change_set: ChangeSet, approvals: list[Signature]) -> list[Requirement]:
    """The requirements no counted signer fills, each signer filling at most one (best assignment)."""
    needs = requirements(change_set)
    codes = regions(session, change_set)
    holders = [signing_roles(sig.account, change_set, codes) for sig in approvals]
    best: list[Requirement] = list(needs)

    def assign(i: int, free: list[set[Role]], unfilled: list[Requirement]) -> None:
        nonlocal best
        if i == len(needs):
            if len(unfilled) < len(best):
                best = list(unfilled)
            return
        for j, roles in enumerate(free):
            if roles & needs[i].roles:
                assign(i + 1, free[:j] + free[j + 1 :], unfilled)
        assign(i + 1, free, [*unfilled, needs[i]])

    assign(0, holders, [])
    return best


# -- reading ---------------------------------------------------------------------------------------


@dataclass
class Review:
    """Everything a signer needs to see before signing: the portal's change-set page."""

    change_set: ChangeSet
    submitter: Account
    approvals: list[Signature]
    missing: list[Requirement]
    conflicts: list[Conflict]
    items: list[ChangeItem] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)  # items that would reach into a live deal

    def as_dict(self) -> dict[str, Any]:
        cs = self.change_set
        return {
            "id": cs.id,
            "status": cs.status,
            "projects": cs.projects,
            "initial": cs.is_initial,
            "submitter": self.submitter.username,
            "submitted_at": shanghai(cs.created_at),
            "applied_at": shanghai(cs.applied_at),
            "instruction": {
                "date": _iso(cs.instruction_date),
                "by": cs.instructed_by,
                "text": cs.instruction,
            },
            "rows": {"added": cs.rows_added, "changed": cs.rows_changed, "removed": cs.rows_removed},
            "required": required_titles(cs),
            "missing": [r.title for r in self.missing] if cs.status == PENDING else [],
            "signatures": [
                {
                    "account": s.account.username,
                    "name": s.account.display_name,
                    "role": s.role,
                    "meaning": s.meaning,
                    "reason": s.reason,
                    "signed_at": shanghai(s.signed_at),
                    "counts": s in self.approvals,
                }
                for s in cs.signatures
            ],
            "conflicts": [
                {
                    "sheet": c.sheet,
                    "key": c.key,
                    "field": c.field,
                    "expected": c.expected,
                    "current": c.current,
                }
                for c in self.conflicts
            ],
            "orphans": [{"key": o.key, "deal": o.deal, "what": o.describe()} for o in self.orphans],
            "superseded_by": cs.superseded_by_id,
            "items": [
                {"entity": i.entity, "key": i.key, "op": i.op, "field": i.field, "old": i.old, "new": i.new}
                for i in self.items
            ],
        }


def shanghai(at: dt.datetime | None) -> str | None:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if at else None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def get_change_set(session: Session, change_set_id: int, *, lock: bool = False) -> ChangeSet:
    stmt = select(ChangeSet).where(ChangeSet.id == change_set_id)
    change_set = session.scalar(stmt.with_for_update() if lock else stmt)
    if change_set is None:
        raise SigningRefused("change-set-unknown", change_set=change_set_id)
    return change_set


def review(session: Session, change_set_id: int, *, with_items: bool = True) -> Review:
    cs = get_change_set(session, change_set_id)
    approvals = counted_approvals(session, cs)
    return Review(
        cs,
        cs.version.account,
        approvals,
        missing(session, cs, approvals),
        conflicts(session, cs) if cs.status == PENDING else [],
        list(cs.items) if with_items else [],
        orphans(session, cs.items) if cs.status == PENDING else [],
    )


def change_sets(session: Session, *, status: str | None = PENDING, signer: str | None = None) -> list[Review]:
    """Change sets (pending by default), newest first; with ``signer``, those that account may sign."""
    stmt = select(ChangeSet).order_by(ChangeSet.id.desc())
    if status is not None:
        stmt = stmt.where(ChangeSet.status == status)
    account = get_account(session, signer) if signer else None
    out = []
    for cs in session.scalars(stmt):
        if account is not None and (
            refusal(session, cs, account) or any(s.account_id == account.id for s in cs.signatures)
        ):
            continue
        out.append(review(session, cs.id, with_items=False))
    return out


# -- signing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignResult:
    change_set_id: int
    status: str
    missing: list[str]
    rows_written: int = 0


def sign(
    session: Session, change_set_id: int, username: str, password: str, *, progress: Progress | None = None
) -> SignResult:
    """Approve (批准) as ``username``; applies the change set when the signatures now suffice
    (``progress`` hears the rows written so far of a change set that applies)."""
    return after_signing(session, _sign(session, change_set_id, username, password, APPROVE, None, progress))


def reject(session: Session, change_set_id: int, username: str, password: str, reason: str) -> SignResult:
    """Reject (驳回) with a reason; the change set is kept, marked rejected."""
    if not reason.strip():
        raise SigningRefused("sign-reason-required")
    return after_signing(session, _sign(session, change_set_id, username, password, REJECT, reason.strip()))


def _sign(
    session: Session,
    change_set_id: int,
    username: str,
    password: str,
    meaning: str,
    reason: str | None,
    progress: Progress | None = None,
) -> SignResult:
    cs = get_change_set(session, change_set_id, lock=True)
    account = get_account(session, username)
    if not verify_password(account, password):
        raise SigningRefused("sign-wrong-password", account=username)
    if cs.status != PENDING:
        raise SigningRefused("sign-not-pending", change_set=cs.id, status=cs.status)
    code = refusal(session, cs, account)
    if code is not None:
        raise SigningRefused(code, change_set=cs.id, account=username)
    items = item_rows(session, cs)  # read once, as plain rows: a big load has an item per room
    digest = content_hash_of(cs.kind, cs.project_codes, bool(cs.is_initial), (i.hashed() for i in items))
    if digest != cs.content_hash:
        raise SigningRefused("sign-altered", change_set=cs.id)
    if any(s.account_id == account.id for s in cs.signatures):
        raise SigningRefused("sign-already-signed", change_set=cs.id, account=username)
    before = counted_approvals(session, cs, digest)
    roles = signing_roles(account, cs, regions(session, cs))
    wanted = {r for req in missing(session, cs, before) for r in req.roles} & roles
    role = sorted(wanted or roles)[0]
    sig = Signature(
        change_set_id=cs.id,
        account_id=account.id,
        role=role.value,
        meaning=meaning,
        reason=reason,
        signed_at=now(),
        content_hash=cs.content_hash or "",
        seal="",
    )
    sig.seal = _seal(session_key(session), sig)
    cs.signatures.append(sig)
    session.flush()
    LogWriter(session, account.id, cs.version_id, cs.id).append(
        "change_set",
        str(cs.id),
        "reject" if meaning == REJECT else "sign",
        detail={"role": role.value, "meaning": meaning, "reason": reason, "content_hash": cs.content_hash},
    )
    if meaning == REJECT:
        cs.status = REJECTED
        return SignResult(cs.id, cs.status, [])
    approvals = counted_approvals(session, cs, digest)
    still = missing(session, cs, approvals)
    if still:
        return SignResult(cs.id, cs.status, [r.title for r in still])
    found = conflicts(session, cs, items)
    if found:
        raise ChangeSetConflict(cs.id, found)
    orphaned = orphans(session, items)  # a deal made since the change set was submitted
    if orphaned:
        raise SigningRefused(
            "sign-orphans-deals", change_set=cs.id, items="；".join(o.describe() for o in orphaned)
        )
    signers = sorted(s.account.username for s in approvals)
    log = LogWriter(session, cs.version.account_id, cs.version_id, cs.id, signers=signers)
    written = apply_in_bulk(session, cs, log, items=items, progress=progress)
    cs.status, cs.applied_at = APPLIED, now()
    return SignResult(cs.id, cs.status, [], written)


# -- timeliness ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LateChange:
    """A change applied after the end of the working day following its written instruction."""

    change_set_id: int
    projects: list[str]
    instruction_date: dt.date | None
    instructed_by: str | None
    applied_at: dt.datetime
    deadline: dt.datetime | None  # None: the 变更说明 sheet gave no instruction date

    def as_dict(self) -> dict[str, Any]:
        return {
            "change_set": self.change_set_id,
            "projects": self.projects,
            "instruction_date": _iso(self.instruction_date),
            "instructed_by": self.instructed_by,
            "applied_at": shanghai(self.applied_at),
            "deadline": shanghai(self.deadline),
        }


def late_changes(
    session: Session,
    start: dt.date | None = None,
    end: dt.date | None = None,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
) -> list[LateChange]:
    """Change sets applied in [start, end] (Shanghai dates) more than one working day after instruction."""
    out = []
    stmt = select(ChangeSet).where(ChangeSet.status == APPLIED).order_by(ChangeSet.applied_at)
    for cs in session.scalars(stmt):
        assert cs.applied_at is not None
        day = cs.applied_at.astimezone(SHANGHAI).date()
        if (start and day < start) or (end and day > end):
            continue
        deadline = None
        if cs.instruction_date is not None:
            deadline = calendar.end_of(calendar.next_workday(cs.instruction_date))
            if cs.applied_at <= deadline:
                continue
        out.append(
            LateChange(cs.id, cs.projects, cs.instruction_date, cs.instructed_by, cs.applied_at, deadline)
        )
    return out
