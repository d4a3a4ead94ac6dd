"""Customers plan: first entry wins (撞单), events and questionnaires; a rep's workbook never deletes.

Ownership is judged by ``version.seen_at`` — when the system first saw the saved version that
contains the customer — never by a date typed into the sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import Account, Collision, Customer, CustomerEvent, Questionnaire, Reassignment
from sync.core.rows import (
    INSERT_CHUNK,
    canon,
    column_values,
    joined,
    records,
    row_hashes,
    show,
)
from sync.core.staging import insert_frame
from sync.domain.lookups import chunks
from sync.domain.sealing import inserted_ids, seal_batch
from sync.domain.workdays import DEFAULT_CALENDAR
from sync.domain.worklog import Change, LogWriter, last_id
from sync.kinds.customers import CUSTOMERS, EVENTS, QUESTIONNAIRES
from sync.plans.context import PLANS, IngestContext, PlanResult
from validators.findings import COLLISION_ELSEWHERE, Finding, FindingRun, Severity

CUSTOMER_FIELDS = CUSTOMERS.fields
EVENT_FIELDS = [f for f in EVENTS.fields if f != "phone"]
QUESTIONNAIRE_FIELDS = [f for f in QUESTIONNAIRES.fields if f != "phone"]


def _existing_customers(session: Session, column: Any, values: list[str]) -> dict[str, Any]:
    """The known customers among ``values`` (phones or ID numbers), with what ownership needs.

    A workbook naming a good share of all customers is answered by one scan of the table; a
    small one by chunked ``IN`` lookups on the index."""
    wanted = {v for v in values if v}
    out: dict[str, Any] = {}
    if not wanted:
        return out
    cols = (Customer.id, Customer.phone, Customer.owner_id, Customer.row_hash, Customer.id_number)
    key = 1 if column is Customer.phone else 4
    connection = session.connection()  # plain rows: no ORM loading for what is only compared
    total = connection.execute(select(func.count()).select_from(Customer)).scalar_one()
    if len(wanted) * 4 >= total:
        return {str(row[key]): row for row in connection.execute(select(*cols)).all() if row[key] in wanted}
    for batch in chunks(sorted(wanted)):
        out.update(
            (str(row[key]), row) for row in connection.execute(select(*cols).where(column.in_(batch))).all()
        )
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
                {
                    "base": ctx.version.based_on_seq,
                    "latest": ctx.changed_in(current.version_id),
                    "current": show(cur),
                },
                Severity.WARNING,
            )
        )
    return changes


def _apply_customer_rows(ctx: IngestContext, result: PlanResult) -> tuple[dict[str, int], set[int]]:
    """Insert new customers, update the author's own, record collisions.

    Returns phone → customer id for every customer the workbook names, and the ids of the
    customers this version created (they cannot have earlier events).
    """
    prepared = ctx.book.get("customer")
    phone_ids: dict[str, int] = {}
    if prepared is None or prepared.frame.empty:
        return phone_ids, set()
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
    changed: list[tuple[int, Any]] = []  # (position, existing)
    collided: list[tuple[int, Any, int]] = []  # (row, existing, position)
    if not by_phone and not by_id:  # none of them known yet (a first import): all are new
        new_idx = list(range(len(rows)))
    else:
        for pos, (row, phone, id_number, digest) in enumerate(
            zip(rows, phones, id_numbers, hashes, strict=True)
        ):
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
            elif existing.owner_id != account.id:
                phone_ids[phone] = existing.id
                collided.append((row, existing, pos))
            else:
                phone_ids[phone] = existing.id
                if existing.row_hash != digest:
                    changed.append((pos, existing))

    stamp = now()
    if changed:
        _corrected_first_contacts(ctx, frame, changed, result)
        recs = records(frame.iloc[[pos for pos, _ in changed]], CUSTOMER_FIELDS)
        accepted = _first_contacts(session, [existing.id for _, existing in changed])
        updates = []
        for (pos, existing), values in zip(changed, recs, strict=True):
            if ctx.stale:
                values = _stale_fields(ctx, phones[pos], values, existing.id, rows[pos], result)
                if not values:
                    continue
            _keep_first_contact(values, accepted.get(existing.id), rows[pos], result)
            values.update(id=existing.id, row_hash=hashes[pos], version_id=version.id, updated_at=stamp)
            updates.append(values)
        if updates:
            _log_updates(ctx, Customer, CUSTOMERS, updates, key_field="phone")
            session.execute(update(Customer), updates)
            result.rows_written += len(updates)
    created: set[int] = set()
    if new_idx:
        _late_entries(ctx, frame, new_idx, result)
        fresh = frame.iloc[new_idx].assign(row_hash=[hashes[i] for i in new_idx])
        result.rows_written += insert_frame(
            session,
            Customer.__table__,
            fresh,
            [*CUSTOMER_FIELDS, "row_hash"],
            owner_id=account.id,
            owned_since=version.seen_at,
            first_version_id=version.id,
            version_id=version.id,
            updated_at=stamp,
        )
        stmt = select(Customer.phone, Customer.id).where(Customer.first_version_id == version.id)
        for part in session.connection().execute(stmt).partitions(INSERT_CHUNK):  # plain rows, in chunks
            phone_ids.update(part)
            created.update(cid for _, cid in part)
        _seal_new(ctx, CUSTOMERS, Customer.__table__, fresh, created, CUSTOMER_FIELDS, ["phone"], ["phone"])
    if collided:
        _record_collisions(ctx, collided, result)
    return phone_ids, created


def _corrected_first_contacts(
    ctx: IngestContext, frame: pd.DataFrame, changed: list[tuple[int, Any]], result: PlanResult
) -> None:
    """A first contact entered in the future (2099: a typo, or a way round the deadline) escaped the
    late-entry check when the customer was new; once it is corrected, the corrected date is timed
    against when the customer was first seen."""
    ids = {existing.id: pos for pos, existing in changed}
    stored = ctx.session.execute(
        select(Customer.id, Customer.first_contact_date, Customer.owned_since).where(
            Customer.id.in_(list(ids))
        )
    ).all()
    for customer_id, before, seen in stored:
        first_seen = (
            seen.astimezone(SHANGHAI) if seen.tzinfo else seen.replace(tzinfo=dt.UTC).astimezone(SHANGHAI)
        )
        if before is None or before <= first_seen.date():
            continue  # timed when it was new
        pos = ids[customer_id]
        after = frame["first_contact_date"].iloc[pos]
        if after is None or pd.isna(after):
            continue
        day = pd.Timestamp(after).date()
        deadline = DEFAULT_CALENDAR.entry_deadline(day)
        if day <= first_seen.date() and first_seen > deadline:
            result.findings.append(
                Finding(
                    "late-entry",
                    CUSTOMERS.name,
                    int(frame.index[pos]),
                    CUSTOMERS.header("first_contact_date"),
                    day.isoformat(),
                    {"deadline": deadline.strftime("%Y-%m-%d %H:%M")},
                    Severity.WARNING,
                )
            )


def _first_contacts(session: Session, ids: list[int]) -> dict[int, dt.date]:
    out: dict[int, dt.date] = {}
    for batch in chunks(sorted(ids)):
        stmt = select(Customer.id, Customer.first_contact_date).where(Customer.id.in_(batch))
        out.update({i: d for i, d in session.execute(stmt)})
    return out


def _keep_first_contact(
    values: dict[str, Any], accepted: dt.date | None, row: int, result: PlanResult
) -> None:
    """首次接触日期 is a fact of the first entry: a later change is a warning and the accepted date stays."""
    typed = values.get("first_contact_date")
    if accepted is None or typed is None or typed == accepted:
        return
    values["first_contact_date"] = accepted
    result.findings.append(
        Finding(
            "first-contact-changed",
            CUSTOMERS.name,
            row,
            CUSTOMERS.header("first_contact_date"),
            show(typed),
            {"kept": accepted.isoformat()},
            Severity.WARNING,
        )
    )


def _late_entries(ctx: IngestContext, frame: pd.DataFrame, positions: list[int], result: PlanResult) -> None:
    """New customers entered after the end of the next working day after first contact: recorded, not refused."""
    days = pc.dictionary_encode(pa.array(frame["first_contact_date"].iloc[positions], from_pandas=True))
    seen = ctx.version.seen_at
    deadlines = [DEFAULT_CALENDAR.entry_deadline(day) for day in days.dictionary.to_pylist()]
    late_days = [i for i, deadline in enumerate(deadlines) if seen > deadline]
    if not late_days:
        return
    # a first import may bring 100k late entries: they stay columns (a FindingRun), never objects
    is_late = pc.fill_null(pc.is_in(days.indices, pa.array(late_days, pa.int32())), False)
    picked = pc.filter(days.indices, is_late).cast(pa.int32())
    # renumber the late days 0…k-1 so that the run's dictionary holds only them
    renumbered = pc.index_in(picked, pa.array(late_days, pa.int32()))
    iso = pa.array([days.dictionary[i].as_py().isoformat() for i in late_days], pa.string())
    rows = pa.array(frame.index.to_numpy()[np.asarray(positions)], pa.int64()).filter(is_late)
    result.findings.add_run(
        FindingRun(
            "late-entry",
            CUSTOMERS.name,
            CUSTOMERS.header("first_contact_date"),
            rows,
            pa.DictionaryArray.from_arrays(renumbered, iso),
            tuple({"deadline": deadlines[i].strftime("%Y-%m-%d %H:%M")} for i in late_days),
        )
    )


def _record_collisions(ctx: IngestContext, collided: list[tuple[int, Any, int]], result: PlanResult) -> None:
    session, account = ctx.session, ctx.account
    owners = {
        a.id: a
        for a in session.scalars(select(Account).where(Account.id.in_({c.owner_id for _, c, _ in collided})))
    }
    ids = sorted({c.id for _, c, _ in collided})
    since: dict[int, dt.datetime] = {}
    for batch in chunks(ids):
        since.update(
            {
                i: t
                for i, t in session.execute(
                    select(Customer.id, Customer.owned_since).where(Customer.id.in_(batch))
                )
            }
        )
    known: set[int] = set()
    moved_away: set[int] = set()  # customers a manager reassigned from this rep: not a collision
    for batch in chunks(ids):
        stmt = select(Collision.customer_id).where(
            Collision.account_id == account.id, Collision.customer_id.in_(batch)
        )
        known.update(session.scalars(stmt))
        moved = select(Reassignment.customer_id).where(
            Reassignment.from_account_id == account.id, Reassignment.customer_id.in_(batch)
        )
        moved_away.update(session.scalars(moved))
    fresh = []
    for row, customer, _pos in collided:
        owner = owners[customer.owner_id]
        if customer.id in moved_away:
            result.findings.append(
                Finding(
                    "customer-reassigned",
                    CUSTOMERS.name,
                    row,
                    CUSTOMERS.header("phone"),
                    customer.phone,
                    {
                        "owner": owner.username,
                        "owner_name": owner.display_name,
                        "since": _since(since[customer.id]),
                    },
                    Severity.WARNING,
                )
            )
            continue
        # A rep of another region learns only that the customer is registered: not who has them nor
        # since when (their managers see the collision in full).
        elsewhere = owner.region_id != account.region_id
        result.findings.append(
            Finding(
                COLLISION_ELSEWHERE if elsewhere else "collision",
                CUSTOMERS.name,
                row,
                CUSTOMERS.header("phone"),
                customer.phone,
                {}
                if elsewhere
                else {
                    "owner": owner.username,
                    "owner_name": owner.display_name,
                    "since": _since(since[customer.id]),
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
                    "owner_since": since[customer.id],
                    "version_id": ctx.version.id,
                    "detected_at": now(),
                    "status": "open",
                }
            )
    if fresh:
        session.execute(insert(Collision), fresh)


def _resolve_phones(session: Session, phones: list[str], phone_ids: dict[str, int]) -> None:
    """Add the ids of known customers the workbook names in a later sheet but not in 客户."""
    for batch in chunks(sorted(set(phones) - set(phone_ids))):
        stmt = select(Customer.phone, Customer.id).where(Customer.phone.in_(batch))
        phone_ids.update({p: i for p, i in session.execute(stmt)})


def _reject_unresolved(
    sheet_name: str,
    header: str,
    frame: pd.DataFrame,
    positions: list[int],
    phones: list[str],
    result: PlanResult,
) -> None:
    for pos in positions:
        result.findings.append(
            Finding("event-customer-rejected", sheet_name, int(frame.index[pos]), header, phones[pos])
        )


def _apply_events(
    ctx: IngestContext, phone_ids: dict[str, int], created: set[int], result: PlanResult
) -> None:
    """New events are inserted, changed ones updated; rows equal to what the database holds are skipped
    by their fingerprint, so a re-ingest looks at the changed rows only."""
    prepared = ctx.book.get("customer_event")
    if prepared is None or prepared.frame.empty:
        return
    session = ctx.session
    frame = prepared.frame
    phones = column_values(frame["phone"])
    _resolve_phones(session, phones, phone_ids)
    cids = [phone_ids.get(p) for p in phones]
    unresolved = [pos for pos, cid in enumerate(cids) if cid is None]
    if unresolved:
        _reject_unresolved(EVENTS.name, EVENTS.header("phone"), frame, unresolved, phones, result)
    hashes = row_hashes(frame, EVENT_FIELDS)
    # One customer may be named by two phones (matched by 证件号码): the first row per key wins.
    keys = pd.DataFrame(
        {"cid": pd.array(cids, dtype="Int64"), "at": frame["at"].to_numpy(), "kind": frame["kind"].to_numpy()}
    )
    repeated = keys.duplicated(keep="first").to_numpy()

    earlier = sorted({c for c in cids if c is not None and c not in created})
    stored: list[Any] = []
    connection = session.connection()  # plain rows: no ORM loading for what is only compared
    for batch in chunks(earlier):
        stmt = select(
            CustomerEvent.customer_id,
            CustomerEvent.row_hash,
            CustomerEvent.at,
            CustomerEvent.kind,
            CustomerEvent.id,
        ).where(CustomerEvent.customer_id.in_(batch))
        stored += connection.execute(stmt).all()
    known = {(row[0], row[1]) for row in stored}

    fresh: list[int] = []
    candidates: list[int] = []
    for pos, (maybe, digest) in enumerate(zip(cids, hashes, strict=True)):
        if maybe is None or repeated[pos]:
            continue
        if maybe in created:
            fresh.append(pos)
        elif (maybe, digest) not in known:
            candidates.append(pos)
    changed: list[tuple[int, int]] = []  # (position, event id)
    if candidates:
        touched = {cids[pos] for pos in candidates}
        by_key = {(cid, canon(at), kind): eid for cid, _, at, kind, eid in stored if cid in touched}
        ats = column_values(frame["at"].iloc[candidates])
        kinds = column_values(frame["kind"].iloc[candidates])
        for pos, at, kind in zip(candidates, ats, kinds, strict=True):
            hit = by_key.get((cast(int, cids[pos]), canon(at), kind))
            if hit is None:
                fresh.append(pos)
            else:
                changed.append((pos, hit))
    if fresh:
        fresh.sort()
        picked = frame.iloc[fresh].assign(
            customer_id=pd.array([cids[p] for p in fresh], dtype="int64"), row_hash=[hashes[p] for p in fresh]
        )
        before = last_id(session, CustomerEvent.__table__)
        result.rows_written += insert_frame(
            session,
            CustomerEvent.__table__,
            picked,
            [*EVENT_FIELDS, "customer_id", "row_hash"],
            account_id=ctx.account.id,
            version_id=ctx.version.id,
        )
        _seal_new(
            ctx,
            EVENTS,
            CustomerEvent.__table__,
            picked,
            inserted_ids(session, CustomerEvent.__table__, before, ctx.version.id),
            ["customer_id", *EVENT_FIELDS],
            ["customer_id", "at", "kind"],
            ["customer_id@customer.phone", "at", "kind"],  # how _log_updates names an event
        )
    if changed:
        recs = records(frame.iloc[[p for p, _ in changed]], ["content", "next_follow_up"])
        updates = [
            {**rec, "id": eid, "row_hash": hashes[pos], "version_id": ctx.version.id}
            for (pos, eid), rec in zip(changed, recs, strict=True)
        ]
        event_keys = joined(frame.iloc[[p for p, _ in changed]], EVENTS.key, " ", "")
        _log_updates(ctx, CustomerEvent, EVENTS, updates, keys=event_keys)
        session.execute(update(CustomerEvent), updates)
        result.rows_written += len(updates)


def _apply_questionnaires(ctx: IngestContext, phone_ids: dict[str, int], result: PlanResult) -> None:
    prepared = ctx.book.get("questionnaire")
    if prepared is None or prepared.frame.empty:
        return
    session = ctx.session
    frame = prepared.frame
    phones = column_values(frame["phone"])
    _resolve_phones(session, phones, phone_ids)
    unresolved = [pos for pos, p in enumerate(phones) if p not in phone_ids]
    if unresolved:
        _reject_unresolved(
            QUESTIONNAIRES.name, QUESTIONNAIRES.header("phone"), frame, unresolved, phones, result
        )
    hashes = row_hashes(frame, QUESTIONNAIRE_FIELDS)
    numbers = column_values(frame["subscription_no"])
    existing: dict[str, tuple[int, str]] = {}
    for batch in chunks(numbers):
        stmt = select(Questionnaire.subscription_no, Questionnaire.id, Questionnaire.row_hash).where(
            Questionnaire.subscription_no.in_(batch)
        )
        existing.update({n: (i, h) for n, i, h in session.execute(stmt)})
    fresh: list[int] = []
    changed: list[int] = []
    for pos, (phone, number, digest) in enumerate(zip(phones, numbers, hashes, strict=True)):
        if phone not in phone_ids:
            continue
        if number not in existing:
            fresh.append(pos)
        elif existing[number][1] != digest:
            changed.append(pos)
    if fresh:
        picked = frame.iloc[fresh].assign(
            customer_id=[phone_ids[phones[p]] for p in fresh], row_hash=[hashes[p] for p in fresh]
        )
        before = last_id(session, Questionnaire.__table__)
        result.rows_written += insert_frame(
            session,
            Questionnaire.__table__,
            picked,
            [*QUESTIONNAIRE_FIELDS, "customer_id", "row_hash"],
            account_id=ctx.account.id,
            version_id=ctx.version.id,
        )
        _seal_new(
            ctx,
            QUESTIONNAIRES,
            Questionnaire.__table__,
            picked,
            inserted_ids(session, Questionnaire.__table__, before, ctx.version.id),
            QUESTIONNAIRE_FIELDS,
            ["subscription_no"],
            ["subscription_no"],
        )
    if changed:
        recs = records(frame.iloc[changed], QUESTIONNAIRE_FIELDS)
        updates = [
            {
                **rec,
                "id": existing[numbers[pos]][0],
                "customer_id": phone_ids[phones[pos]],
                "account_id": ctx.account.id,
                "version_id": ctx.version.id,
                "row_hash": hashes[pos],
            }
            for pos, rec in zip(changed, recs, strict=True)
        ]
        _log_updates(ctx, Questionnaire, QUESTIONNAIRES, updates, key_field="subscription_no")
        session.execute(update(Questionnaire), updates)
        result.rows_written += len(updates)


def _seal_new(
    ctx: IngestContext,
    sheet: Any,
    table: Any,
    frame: pd.DataFrame,
    ids: Iterable[int] | list[list[int]],
    columns: list[str],
    key: list[str],
    log_key: list[str],
) -> None:
    """New rows in the work log: one chained entry per sheet and version sealing their digest and the
    kept file's (``sealing.seal_batch``), not their values. Changed fields of existing rows are
    still logged old → new (:func:`_log_updates`); a row sealed here and changed later is told apart
    by those entries."""
    if ctx.log is None:
        ctx.log = LogWriter(ctx.session, ctx.account.id, ctx.version.id)
    headers = [sheet.header(c) if c in sheet.fields else None for c in columns]
    seal_batch(
        ctx.log,
        table,
        frame,
        ids,
        columns=columns,
        key=key,
        headers=headers,
        log_key=log_key,
        entity=sheet.entity,
    )


def _log_updates(
    ctx: IngestContext,
    model: Any,
    sheet: Any,
    updates: list[dict[str, Any]],
    *,
    key_field: str | None = None,
    keys: list[str] | None = None,
) -> None:
    """One work-log entry per changed field, old → new, read before the update is applied."""
    ids = [u["id"] for u in updates]
    current = {}
    for batch in chunks(ids):
        current.update({row.id: row for row in ctx.session.scalars(select(model).where(model.id.in_(batch)))})
    changes = []
    for i, values in enumerate(updates):
        row = current[values["id"]]
        key = keys[i] if keys is not None else str(getattr(row, key_field or "id"))
        for name in sheet.fields:
            if name not in values or (name == "phone" and model is not Customer):
                continue
            before, after = getattr(row, name), values[name]
            if canon(before) != canon(after):
                changes.append(
                    Change(
                        sheet.entity, key, "修改", field=sheet.header(name), old=show(before), new=show(after)
                    )
                )
    if changes:
        if ctx.log is None:
            ctx.log = LogWriter(ctx.session, ctx.account.id, ctx.version.id)
        ctx.log.append_many(changes)


@PLANS.register("customers")
def apply_customers(ctx: IngestContext) -> PlanResult:
    result = PlanResult()
    phone_ids, created = _apply_customer_rows(ctx, result)
    _apply_events(ctx, phone_ids, created, result)
    _apply_questionnaires(ctx, phone_ids, result)
    return result
