"""Customers plan: first entry wins (撞单), events and questionnaires; a rep's workbook never deletes.

Ownership is judged by ``version.seen_at`` — when the system first saw the saved version that
contains the customer — never by a date typed into the sheet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.kinds.customers import CUSTOMERS, EVENTS, QUESTIONNAIRES
from schema.models import Account, Collision, Customer, CustomerEvent, Questionnaire
from sync.lookups import chunks
from sync.plans import IngestContext, PlanResult
from sync.rows import canon, column_values, records, row_hashes, show
from sync.workdays import DEFAULT_CALENDAR
from validators.findings import Finding, Severity

CUSTOMER_FIELDS = CUSTOMERS.fields
EVENT_FIELDS = [f for f in EVENTS.fields if f != "phone"]
QUESTIONNAIRE_FIELDS = [f for f in QUESTIONNAIRES.fields if f != "phone"]


def _existing_customers(session: Session, column: Any, values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for batch in chunks(sorted(set(values))):
        stmt = select(
            Customer.id,
            Customer.phone,
            Customer.owner_id,
            Customer.owned_since,
            Customer.row_hash,
            Customer.id_number,
        ).where(column.in_(batch))
        for row in session.execute(stmt):
            out[row.phone if column is Customer.phone else row.id_number] = row
    return out


def _since(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _stale_fields(
    ctx: IngestContext, phone: str, incoming: dict[str, Any], customer_id: int, row: int, result: PlanResult
) -> dict[str, Any]:
    """Three-way merge of one customer saved from a stale copy: the fields the author really changed."""
    assert ctx.base is not None
    base_sheet = ctx.base.get("customer")
    base_frame = base_sheet.frame if base_sheet is not None else None
    if base_frame is None or base_frame.empty:
        return incoming
    match = base_frame[base_frame["phone"] == phone]
    if match.empty:
        return incoming
    base = {f: column_values(match[f])[0] for f in CUSTOMER_FIELDS}
    current = ctx.session.get(Customer, customer_id)
    assert current is not None
    changes: dict[str, Any] = {}
    for field in CUSTOMER_FIELDS:
        inc, bas, cur = canon(incoming[field]), canon(base[field]), canon(getattr(current, field))
        if inc in (bas, cur):
            continue
        if cur == bas:
            changes[field] = incoming[field]
            continue
        result.findings.append(
            Finding(
                "stale-conflict",
                CUSTOMERS.name,
                row,
                CUSTOMERS.header(field),
                show(incoming[field]),
                {"base": ctx.version.based_on_seq, "latest": ctx.workbook.accepted_seq, "current": show(cur)},
                Severity.WARNING,
            )
        )
    return changes


def _apply_customer_rows(ctx: IngestContext, result: PlanResult) -> dict[str, int]:
    """Insert new customers, update the author's own, record collisions. Returns phone → customer id."""
    prepared = ctx.book.get("customer")
    phone_ids: dict[str, int] = {}
    if prepared is None or prepared.frame.empty:
        return phone_ids
    session, account, version = ctx.session, ctx.account, ctx.version
    frame = prepared.frame
    hashes = row_hashes(frame, CUSTOMER_FIELDS)
    rows = [int(r) for r in frame.index]
    phones = column_values(frame["phone"])
    id_numbers = column_values(frame["id_number"])
    by_phone = _existing_customers(session, Customer.phone, phones)
    missing_ids = [i for p, i in zip(phones, id_numbers, strict=True) if p not in by_phone and i]
    by_id = _existing_customers(session, Customer.id_number, missing_ids) if missing_ids else {}

    new_idx: list[int] = []
    updates: list[dict[str, Any]] = []
    collided: list[tuple[int, Any, int]] = []  # (row, existing, position)
    stamp = now()
    recs = None
    for pos, (row, phone, id_number, digest) in enumerate(zip(rows, phones, id_numbers, hashes, strict=True)):
        existing = by_phone.get(phone)  # a known phone with a new ID number is an update of that customer
        if existing is None and id_number and id_number in by_id:
            other = by_id[id_number]
            if other.owner_id == account.id:
                result.findings.append(
                    Finding(
                        "identity-conflict",
                        CUSTOMERS.name,
                        row,
                        CUSTOMERS.header("id_number"),
                        id_number,
                        {"other_phone": other.phone},
                    )
                )
                continue
            existing = other
        if existing is None:
            new_idx.append(pos)
            continue
        phone_ids[phone] = existing.id
        if existing.owner_id != account.id:
            collided.append((row, existing, pos))
            continue
        if existing.row_hash == digest:
            continue
        if recs is None:
            recs = records(frame, CUSTOMER_FIELDS)
        values = dict(recs[pos])
        if ctx.stale:
            values = _stale_fields(ctx, phone, values, existing.id, row, result)
            if not values:
                continue
        values.update(id=existing.id, row_hash=digest, version_id=version.id, updated_at=stamp)
        updates.append(values)

    if new_idx:
        if recs is None:
            recs = records(frame, CUSTOMER_FIELDS)
        _late_entries(ctx, [(rows[i], recs[i]["first_contact_date"]) for i in new_idx], result)
        fresh = [
            {
                **recs[i],
                "owner_id": account.id,
                "owned_since": version.seen_at,
                "first_version_id": version.id,
                "version_id": version.id,
                "row_hash": hashes[i],
                "updated_at": stamp,
            }
            for i in new_idx
        ]
        inserted = session.execute(insert(Customer).returning(Customer.phone, Customer.id), fresh)
        phone_ids.update({p: i for p, i in inserted})
        result.rows_written += len(fresh)
    if updates:
        session.execute(update(Customer), updates)
        result.rows_written += len(updates)
    if collided:
        _record_collisions(ctx, collided, result)
    return phone_ids


def _late_entries(ctx: IngestContext, entries: list[tuple[int, dt.date]], result: PlanResult) -> None:
    """New customers entered after the end of the next working day after first contact: recorded, not refused."""
    deadlines = {day: DEFAULT_CALENDAR.entry_deadline(day) for day in {d for _, d in entries}}
    header = CUSTOMERS.header("first_contact_date")
    for row, day in entries:
        if ctx.version.seen_at > deadlines[day]:
            due = deadlines[day].strftime("%Y-%m-%d %H:%M")
            result.findings.append(
                Finding(
                    "late-entry",
                    CUSTOMERS.name,
                    row,
                    header,
                    day.isoformat(),
                    {"deadline": due},
                    Severity.WARNING,
                )
            )


def _record_collisions(ctx: IngestContext, collided: list[tuple[int, Any, int]], result: PlanResult) -> None:
    session, account = ctx.session, ctx.account
    owners = {
        a.id: a
        for a in session.scalars(select(Account).where(Account.id.in_({c.owner_id for _, c, _ in collided})))
    }
    known = set(
        session.scalars(
            select(Collision.customer_id).where(
                Collision.account_id == account.id, Collision.customer_id.in_([c.id for _, c, _ in collided])
            )
        )
    )
    fresh = []
    for row, customer, _pos in collided:
        owner = owners[customer.owner_id]
        result.findings.append(
            Finding(
                "collision",
                CUSTOMERS.name,
                row,
                CUSTOMERS.header("phone"),
                customer.phone,
                {
                    "owner": owner.username,
                    "owner_name": owner.display_name,
                    "since": _since(customer.owned_since),
                },
                Severity.WARNING,
            )
        )
        if customer.id not in known:
            known.add(customer.id)
            fresh.append(
                {
                    "customer_id": customer.id,
                    "account_id": account.id,
                    "owner_id": customer.owner_id,
                    "owner_since": customer.owned_since,
                    "version_id": ctx.version.id,
                    "detected_at": now(),
                    "status": "open",
                }
            )
    if fresh:
        session.execute(insert(Collision), fresh)


def _reject_unresolved(
    sheet_name: str, header: str, rows: list[int], phones: list[str], result: PlanResult
) -> None:
    for row, phone in zip(rows, phones, strict=True):
        result.findings.append(Finding("event-customer-rejected", sheet_name, row, header, phone))


def _apply_events(ctx: IngestContext, phone_ids: dict[str, int], result: PlanResult) -> None:
    prepared = ctx.book.get("customer_event")
    if prepared is None or prepared.frame.empty:
        return
    session = ctx.session
    frame = prepared.frame
    missing = sorted(set(column_values(frame["phone"])) - set(phone_ids))
    for batch in chunks(missing):
        phone_ids.update(
            {
                p: i
                for p, i in session.execute(
                    select(Customer.phone, Customer.id).where(Customer.phone.in_(batch))
                )
            }
        )
    phones = column_values(frame["phone"])
    hashes = row_hashes(frame, EVENT_FIELDS)
    recs = records(frame, EVENT_FIELDS)
    rows = [int(r) for r in frame.index]
    unresolved = [(r, p) for r, p in zip(rows, phones, strict=True) if p not in phone_ids]
    if unresolved:
        _reject_unresolved(
            EVENTS.name,
            EVENTS.header("phone"),
            [r for r, _ in unresolved],
            [p for _, p in unresolved],
            result,
        )
    existing: dict[tuple[int, Any, str], tuple[int, str]] = {}
    ids = sorted({phone_ids[p] for p in phones if p in phone_ids})
    for batch in chunks(ids):
        stmt = select(
            CustomerEvent.customer_id,
            CustomerEvent.at,
            CustomerEvent.kind,
            CustomerEvent.id,
            CustomerEvent.row_hash,
        ).where(CustomerEvent.customer_id.in_(batch))
        for cid, at, kind, eid, digest in session.execute(stmt):
            existing[(cid, canon(at), kind)] = (eid, digest)
    fresh, changed = [], []
    seen: set[tuple[int, Any, str]] = set()
    for rec, phone, digest in zip(recs, phones, hashes, strict=True):
        if phone not in phone_ids:
            continue
        cid = phone_ids[phone]
        key = (cid, canon(rec["at"]), rec["kind"])
        if key in seen:
            continue
        seen.add(key)
        if key not in existing:
            fresh.append(
                {
                    **rec,
                    "customer_id": cid,
                    "account_id": ctx.account.id,
                    "version_id": ctx.version.id,
                    "row_hash": digest,
                }
            )
        elif existing[key][1] != digest:
            changed.append(
                {
                    "id": existing[key][0],
                    "content": rec["content"],
                    "next_follow_up": rec["next_follow_up"],
                    "row_hash": digest,
                    "version_id": ctx.version.id,
                }
            )
    if fresh:
        session.execute(insert(CustomerEvent), fresh)
    if changed:
        session.execute(update(CustomerEvent), changed)
    result.rows_written += len(fresh) + len(changed)


def _apply_questionnaires(ctx: IngestContext, phone_ids: dict[str, int], result: PlanResult) -> None:
    prepared = ctx.book.get("questionnaire")
    if prepared is None or prepared.frame.empty:
        return
    session = ctx.session
    frame = prepared.frame
    phones = column_values(frame["phone"])
    for batch in chunks(sorted(set(phones) - set(phone_ids))):
        phone_ids.update(
            {
                p: i
                for p, i in session.execute(
                    select(Customer.phone, Customer.id).where(Customer.phone.in_(batch))
                )
            }
        )
    recs = records(frame, QUESTIONNAIRE_FIELDS)
    hashes = row_hashes(frame, QUESTIONNAIRE_FIELDS)
    numbers = [r["subscription_no"] for r in recs]
    existing = {}
    for batch in chunks(numbers):
        stmt = select(Questionnaire.subscription_no, Questionnaire.id, Questionnaire.row_hash).where(
            Questionnaire.subscription_no.in_(batch)
        )
        existing.update({n: (i, h) for n, i, h in session.execute(stmt)})
    fresh, changed = [], []
    for row, rec, phone, digest in zip(frame.index, recs, phones, hashes, strict=True):
        if phone not in phone_ids:
            result.findings.append(
                Finding(
                    "event-customer-rejected",
                    QUESTIONNAIRES.name,
                    int(row),
                    QUESTIONNAIRES.header("phone"),
                    phone,
                )
            )
            continue
        values = {
            **rec,
            "customer_id": phone_ids[phone],
            "account_id": ctx.account.id,
            "version_id": ctx.version.id,
            "row_hash": digest,
        }
        if rec["subscription_no"] not in existing:
            fresh.append(values)
        elif existing[rec["subscription_no"]][1] != digest:
            changed.append({**values, "id": existing[rec["subscription_no"]][0]})
    if fresh:
        session.execute(insert(Questionnaire), fresh)
    if changed:
        session.execute(update(Questionnaire), changed)
    result.rows_written += len(fresh) + len(changed)


def apply_customers(ctx: IngestContext) -> PlanResult:
    result = PlanResult()
    phone_ids = _apply_customer_rows(ctx, result)
    _apply_events(ctx, phone_ids, result)
    _apply_questionnaires(ctx, phone_ids, result)
    return result
