"""销控 plan, set-based: the rows of a version resolved against the database in a few set queries,
the room state machine run per row over that state in memory, and the result written in bulk.

The rows still apply one by one in date order (a room's hold, its release, then its subscription
depend on one another), each as if in its own savepoint: every change a row makes to the in-memory
state goes through a journal, and a row a domain rule refuses is undone from the journal and
becomes the same finding at the same cell as before. What each look-up needs — the rooms, their holds
and live deals, the existing deals, the customers, the accounts, the plans and discounts, the
project scope — is read once per version, not once per row. Room transitions and deal terms are
still recorded row by row as data; they are inserted together at the end, in the order the rows made
them, inside the version's transaction. The new rows are sealed in the work log by digest, one entry
per table (:mod:`sync.plans.sealing`); rows that changed stored ones are logged as before, and the
sealed columns they changed old → new.

The row-by-row plan (``sync.plans.deals.apply_sales_control_rowwise``) stays as the reference the
comparison test holds this one to.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import (
    Account,
    Collision,
    Contract,
    Customer,
    DealDiscount,
    DealTermLine,
    Discount,
    PaymentPlan,
    PaymentPlanLine,
    Project,
    Room,
    RoomControl,
    RoomStatusChange,
    SpecialTransaction,
    Subscription,
)
from schema.models.deals import LIVE
from schema.roles import Role
from schema.spec import Sheet
from sync.core.errors import RowRefused
from sync.core.rows import BulkInsert, show
from sync.domain import ledger, pricing, rooms
from sync.domain.lookups import chunks
from sync.domain.office_calendar import calendar_for
from sync.domain.terms import DEPOSIT
from sync.domain.worklog import Change, LogWriter
from sync.kinds.sales_control import CONTRACTS, ROOM_CONTROLS, SPECIALS, SUBSCRIPTIONS
from sync.plans.context import PLANS, IngestContext, PlanResult
from sync.plans.deals import (
    CONTRACT_CORE,
    CONTRACT_FREE,
    SUBSCRIPTION_CORE,
    SUBSCRIPTION_FREE,
    SalesControl,
    changed_rows,
    core_hash,
)
from sync.plans.rowwise import Row, check_scope, entry_deadline
from sync.plans.sealing import last_id, log_changes, log_key, seal_new
from validators.findings import Severity

BIG = 10**15  # new rows' place after every stored id, for "the latest hold" ties on the same day


class Rec:
    """A database row held in memory: its column values as attributes, and for a stored row the
    values it was read with (what the final ``UPDATE`` compares against)."""

    def __init__(self, values: dict[str, Any], *, stored: bool) -> None:
        self.__dict__.update(values)
        self._stored = dict(values) if stored else None

    if TYPE_CHECKING:  # a row's columns, and the links the plan adds (``sub``, ``special``, …)

        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...

    @property
    def stored(self) -> bool:
        return self._stored is not None

    def values(self, columns: Iterable[str]) -> dict[str, Any]:
        return {c: getattr(self, c, None) for c in columns}

    def changed(self, columns: Iterable[str]) -> dict[str, Any]:
        assert self._stored is not None
        return {
            c: getattr(self, c) for c in columns if c in self._stored and getattr(self, c) != self._stored[c]
        }


def _columns(model: Any) -> list[str]:
    return [c.key for c in model.__table__.columns if c.key != "id"]


def _fetch(
    session: Session,
    model: Any,
    column: Any,
    values: Iterable[Any],
    *extra: Any,
    only: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The columns (every one, or ``only`` those) of the rows whose ``column`` is one of ``values``
    (chunked ``IN``)."""
    table = model.__table__
    picked = [table.c[name] for name in only] if only else [table]
    out: list[dict[str, Any]] = []
    for batch in chunks(sorted(set(values) - {None})):
        stmt = select(*picked).where(column.in_(batch), *extra)
        result = session.connection().execute(stmt)
        keys = list(result.keys())
        out += [dict(zip(keys, r, strict=True)) for r in result]
    return out


class Journal:
    """The in-memory savepoint of one row: every change is undone if the row is refused."""

    def __init__(self) -> None:
        self.undo: list[Callable[[], None]] = []

    def set(self, obj: Any, name: str, value: Any) -> None:
        old = getattr(obj, name)
        self.undo.append(lambda: setattr(obj, name, old))
        setattr(obj, name, value)

    def add(self, items: list[Any], item: Any) -> None:
        items.append(item)
        self.undo.append(items.pop)

    def put(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        if key in mapping:
            old = mapping[key]
            self.undo.append(lambda: mapping.__setitem__(key, old))
        else:
            self.undo.append(lambda: mapping.__delitem__(key))
        mapping[key] = value

    def rollback(self) -> None:
        while self.undo:
            self.undo.pop()()

    def release(self) -> None:
        self.undo.clear()


class State:
    """What the version's rows touch, read in one set query per table."""

    def __init__(self, ctx: IngestContext, rows: Sequence[Row]) -> None:
        session = self.session = ctx.session
        self.ctx = ctx
        room_codes: set[str] = set()
        sub_nos: set[str] = set()
        contract_nos: set[str] = set()
        special_nos: set[str] = set()
        phones: set[str] = set()
        plan_codes: set[str] = set()
        discount_codes: set[str] = set()
        for row in rows:
            entity = row.sheet.entity
            if entity == "room_control":
                room_codes.add(row["room_code"])
            elif entity == "subscription":
                room_codes.add(row["room_code"])
                sub_nos.add(row["no"])
                phones.add(row["customer_phone"])
                plan_codes.add(row["plan_code"])
                discount_codes.update(pricing.parse_codes(row["discount_codes"]))
            elif entity == "contract":
                contract_nos.add(row["no"])
                sub_nos.add(row["subscription_no"])
            else:
                special_nos.add(row["no"])
                sub_nos.add(row["subscription_no"])
                room_codes.add(row["new_room_code"])
                phones.add(row["new_customer_phone"])
                plan_codes.add(row["new_plan_code"])
                discount_codes.update(pricing.parse_codes(row["new_discount_codes"]))
        room_codes.discard(None)  # type: ignore[arg-type]
        # deals: those named, and the live ones on the rooms named
        subs = _fetch(session, Subscription, Subscription.no, sub_nos)
        subs += _fetch(
            session, Subscription, Subscription.room_code, room_codes, Subscription.status.in_(LIVE)
        )
        self.subs: dict[str, Rec] = {}
        self.subs_by_room: dict[str, list[Rec]] = defaultdict(list)
        for values in subs:
            if values["no"] not in self.subs:
                rec = self.subs[values["no"]] = Rec(values, stored=True)
                self.subs_by_room[rec.room_code].append(rec)
        room_codes |= {s.room_code for s in self.subs.values()}
        room_columns = ("id", "code", "project_code", "status", "total_price", "area_gross", "area_inner")
        self.rooms = {
            v["code"]: Rec(v, stored=True)
            for v in _fetch(session, Room, Room.code, room_codes, only=(*room_columns, "removed_at"))
        }
        # the live controls of those rooms: the keys a row may update, and the holds
        self.controls: dict[tuple[Any, ...], Rec] = {}
        self.holds: dict[str, list[Rec]] = defaultdict(list)
        for values in _fetch(
            session, RoomControl, RoomControl.room_code, room_codes, RoomControl.deleted_at.is_(None)
        ):
            rec = Rec(values, stored=True)
            rec.place = rec.id
            self.controls[(rec.room_code, rec.op_date, rec.action)] = rec
            if rec.action == "保留":
                self.holds[rec.room_code].append(rec)
        sub_ids = [s.id for s in self.subs.values()]
        contracts = _fetch(session, Contract, Contract.no, contract_nos)
        contracts += _fetch(session, Contract, Contract.subscription_id, sub_ids)
        self.contracts: dict[str, Rec] = {}
        self.contract_of: dict[Any, Rec] = {}  # by subscription (its Rec's id() for new ones)
        by_id = {s.id: s for s in self.subs.values()}
        for values in contracts:
            if values["no"] in self.contracts:
                continue
            rec = self.contracts[values["no"]] = Rec(values, stored=True)
            rec.sub = by_id.get(rec.subscription_id)
            if rec.sub is not None:
                self.contract_of[id(rec.sub)] = rec
        self.special_hashes = (
            dict(
                session.execute(
                    select(SpecialTransaction.no, SpecialTransaction.row_hash).where(
                        SpecialTransaction.no.in_(sorted(special_nos))
                    )
                ).all()
            )
            if special_nos
            else {}
        )
        self.customers = {
            v["phone"]: Rec(v, stored=False)
            for v in _fetch(
                session, Customer, Customer.phone, phones, only=("id", "phone", "owner_id", "owned_since")
            )
        }
        self.accounts = list(session.scalars(select(Account)).all())
        self.account_by_id = {a.id: a for a in self.accounts}
        customer_ids = [c.id for c in self.customers.values()]
        self.collisions: set[tuple[int, int]] = set()
        for batch in chunks(customer_ids):
            stmt = select(Collision.customer_id, Collision.account_id).where(Collision.customer_id.in_(batch))
            self.collisions |= {(c, a) for c, a in session.execute(stmt)}
        self.plans = {
            p.code: p
            for p in session.scalars(
                select(PaymentPlan).where(PaymentPlan.code.in_(sorted(plan_codes - {None})))
            )
        }  # type: ignore[operator]
        # each plan's live lines as (seq, category, ratio, amount, due_days): read once, copied per deal
        self.plan_lines: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        lines = select(PaymentPlanLine).where(
            PaymentPlanLine.plan_code.in_(sorted(self.plans)), PaymentPlanLine.removed_at.is_(None)
        )
        for line in session.scalars(lines.order_by(PaymentPlanLine.seq)):
            self.plan_lines[line.plan_code].append(
                (line.seq, line.category, line.ratio, line.amount, line.due_days)
            )
        self.discounts = {
            d.code: d
            for d in session.scalars(select(Discount).where(Discount.code.in_(sorted(discount_codes))))
        }
        # a deal's own terms, for the stored deals a special transaction may change
        special_subs = [s.id for s in self.subs.values()]
        self.term_lines: dict[int, list[Rec]] = defaultdict(list)  # by id() of the deal's Rec
        self.deal_discounts: dict[int, list[Rec]] = defaultdict(list)
        if special_nos:
            for model, target in ((DealTermLine, self.term_lines), (DealDiscount, self.deal_discounts)):
                found = _fetch(
                    session, model, model.subscription_id, special_subs, model.ended_by_id.is_(None)
                )
                for values in sorted(found, key=lambda v: (v["seq"], v["id"])):
                    rec = Rec(values, stored=True)
                    rec.sub = by_id[rec.subscription_id]
                    rec.ended_by = None
                    target[id(rec.sub)].append(rec)
        self._scope: dict[str, Project | RowRefused] = {}
        self._reps: dict[str, Account | RowRefused] = {}
        self._deadlines: dict[tuple[str, dt.date], str | None] = {}
        self._received: dict[int, Decimal] | None = None

    # -- look-ups made once per version ----------------------------------------------------------

    def room(self, code: str, field: str = "room_code") -> Rec:
        room = self.rooms.get(code)
        if room is None or room.removed_at is not None:
            raise RowRefused("unknown-room", field)
        return room

    def scope(self, project_code: str, field: str) -> Project:
        """:func:`check_scope`, asked once per project in a version."""
        found = self._scope.get(project_code)
        if found is None:
            try:
                found = check_scope(self.session, self.ctx.account, project_code, field)
            except RowRefused as refused:
                found = refused
            self._scope[project_code] = found
        if isinstance(found, RowRefused):
            raise RowRefused(found.code, field, **found.params)
        return found

    def rep(self, name: str) -> Account:
        found = self._reps.get(name)
        if found is None:
            try:
                found = self._find_rep(name)
            except RowRefused as refused:
                found = refused
            self._reps[name] = found
        if isinstance(found, RowRefused):
            raise RowRefused(found.code, found.field, **found.params)
        return found

    def _find_rep(self, name: str) -> Account:
        active = [
            a
            for a in self.accounts
            if (a.username == name or a.display_name == name) and a.active and a.holds(Role.SALES_REP)
        ]
        if len(active) == 1:
            return active[0]
        if not active:
            raise RowRefused("unknown-rep", "rep")
        mine = [a for a in active if a.region_id == self.ctx.account.region_id]
        if len(mine) == 1:
            return mine[0]
        raise RowRefused("ambiguous-rep", "rep", count=len(active))

    def late(self, project_code: str, day: dt.date, seen_at: dt.datetime) -> str | None:
        """The deadline (as the late-entry warning words it) a deal of ``day`` missed when the version
        was seen at ``seen_at``, or ``None``; worked out once per project and day."""
        key = (project_code, day)
        if key not in self._deadlines:
            deadline = entry_deadline(day, calendar_for(self.session, project_code))
            self._deadlines[key] = deadline.strftime("%Y-%m-%d %H:%M") if seen_at > deadline else None
        return self._deadlines[key]

    def received(self, sub: Rec) -> Decimal:
        """Net money received on a stored deal (a deal made in this version has none yet)."""
        if not sub.stored:
            return ledger.ZERO
        if self._received is None:
            self._received = ledger.received(self.session, [s.id for s in self.subs.values() if s.stored])
        return self._received.get(sub.id, ledger.ZERO)

    def live_deal(self, room_code: str) -> Rec | None:
        for sub in self.subs_by_room.get(room_code, ()):
            if sub.room_code == room_code and sub.status in LIVE:
                return sub
        return None

    def current_hold(self, room_code: str) -> Rec | None:
        live = [h for h in self.holds.get(room_code, ()) if h.deleted_at is None]
        return max(live, key=lambda h: (h.op_date, h.place)) if live else None


class BulkSalesControl:
    """The 销控 handlers of :class:`sync.plans.deals.SalesControl`, over :class:`State`."""

    def __init__(self, ctx: IngestContext, state: State) -> None:
        self.ctx, self.state = ctx, state
        self.j = Journal()
        self.account_id, self.version_id = ctx.account.id, ctx.version.id
        self.at = ctx.version.seen_at
        # what the version writes, in the order the rows made it
        self.changes: list[dict[str, Any]] = []
        self.new_controls: list[Rec] = []
        self.new_subs: list[Rec] = []
        self.new_contracts: list[Rec] = []
        self.new_specials: list[Rec] = []
        self.new_lines: list[Rec] = []
        self.new_discounts: list[Rec] = []
        self.new_collisions: list[dict[str, Any]] = []
        self._inserted: set[tuple[str, tuple[Any, ...]]] | None = None

    # -- the state machine ---------------------------------------------------------------------

    def transition(
        self,
        room: Rec,
        cause: str,
        *,
        on: dt.date | None,
        ref: str | None = None,
        field: str | None = "room_code",
        account_id: int | None = -1,
        version_id: int | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        to = rooms.check_transition(room.code, room.status, cause, field)
        own = account_id == -1
        self.j.add(
            self.changes,
            {
                "room_code": room.code,
                "from_status": room.status,
                "to_status": to,
                "account_id": self.account_id if own else account_id,
                "version_id": self.version_id if own else version_id,
                "at": self.at if own else at,
                "cause": cause,
                "business_date": on,
                "ref": ref,
            },
        )
        self.j.set(room, "status", to)

    def expire_hold(self, room: Rec, on: dt.date) -> bool:
        if room.status != rooms.HELD:
            return False
        hold = self.state.current_hold(room.code)
        if hold is None or hold.hold_until is None or hold.hold_until >= on:
            return False
        expired_at = dt.datetime.combine(hold.hold_until + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
        self.transition(
            room,
            "保留到期",
            on=hold.hold_until + dt.timedelta(days=1),
            ref=None,
            account_id=None,
            version_id=hold.version_id,
            at=expired_at,
        )
        return True

    def warn_if_late(self, row: Row, field: str, day: dt.date, project_code: str) -> None:
        late = self.state.late(project_code, day, self.at)
        if late is not None:
            row.warn("deal-late-entry", field, deadline=late)

    def own(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id,
            "account_id": self.account_id,
            "workbook_id": self.ctx.workbook.id,
        }

    # -- 房间控制 ---------------------------------------------------------------------------------

    def control(self, row: Row) -> int:
        state, j = self.state, self.j
        existing = state.controls.get((row["room_code"], row["op_date"], row["action"]))
        if existing is not None:
            if existing.row_hash == row.digest or row.untouched_since_base:
                return 0
            j.set(existing, "reason", row["reason"])
            j.set(existing, "hold_until", row["hold_until"])
            j.set(existing, "row_hash", row.digest)
            j.set(existing, "version_id", self.version_id)
            return 1
        room = state.room(row["room_code"])
        state.scope(room.project_code, "room_code")
        expired = self.expire_hold(room, row["op_date"])
        if expired and row["action"] == "取消保留":
            row.warn("hold-already-expired", "op_date")
        else:
            self.transition(room, row["action"], on=row["op_date"])
        rec = Rec(
            {
                "room_code": room.code,
                "action": row["action"],
                "reason": row["reason"],
                "hold_until": row["hold_until"],
                "op_date": row["op_date"],
                "account_id": self.account_id,
                "version_id": self.version_id,
                "workbook_id": self.ctx.workbook.id,
                "row_hash": row.digest,
                "deleted_at": None,
                "deleted_in_version_id": None,
            },
            stored=False,
        )
        rec.place = BIG + len(self.new_controls)
        j.add(self.new_controls, rec)
        j.put(state.controls, (rec.room_code, rec.op_date, rec.action), rec)
        if rec.action == "保留":
            j.add(state.holds[rec.room_code], rec)
        return 1

    # -- 认购 ---------------------------------------------------------------------------------------

    def _changed_deal(self, row: Row, existing: Rec, core: tuple[str, ...], free: tuple[str, ...]) -> int:
        if existing.row_hash == row.digest or row.untouched_since_base:
            return 0
        if existing.core_hash != core_hash(row, core):
            raise RowRefused("deal-core-changed", "no", no=existing.no)
        for name in free:
            self.j.set(existing, name, row[name])
        self.j.set(existing, "row_hash", row.digest)
        self.j.set(existing, "version_id", self.version_id)
        return 1

    def subscription(self, row: Row) -> int:
        state, j = self.state, self.j
        existing = state.subs.get(row["no"])
        if existing is not None:
            return self._changed_deal(row, existing, SUBSCRIPTION_CORE, SUBSCRIPTION_FREE)
        day: dt.date = row["date"]
        room = state.room(row["room_code"])
        project = state.scope(room.project_code, "room_code")
        self.expire_hold(room, day)
        live = state.live_deal(room.code)
        if live is not None:
            raise RowRefused("room-has-deal", "room_code", room=room.code, status=room.status, other=live.no)
        customer = state.customers.get(row["customer_phone"])
        if customer is None:
            raise RowRefused("deal-unknown-customer", "customer_phone")
        rep = state.rep(row["rep"])
        plan = pricing.check_plan(state.plans.get(row["plan_code"]), project.code, day, "plan_code")
        codes = pricing.parse_codes(row["discount_codes"])
        discounts = pricing.check_discounts(state.discounts, codes, project.code, day, "discount_codes")
        pricing.check_area(project, cast(Room, room), row["area"], "area")
        pricing.check_price(cast(Room, room), discounts, row["total_price"], "total_price")
        self.transition(room, "认购", on=day, ref=row["no"])
        conflict = customer.owner_id != rep.id
        if conflict:
            self._collision(row, customer, rep)
        self.warn_if_late(row, "date", day, project.code)
        sub = Rec(
            {
                "no": row["no"],
                "project_code": project.code,
                "room_code": room.code,
                "customer_id": customer.id,
                "customer_name": row["customer_name"],
                "customer_phone": row["customer_phone"],
                "rep_name": row["rep"],
                "rep_account_id": rep.id,
                "date": day,
                "plan_code": plan.code,
                "discount_codes": pricing.join_codes(codes),
                "area": row["area"],
                "unit_price": row["unit_price"],
                "total_price": row["total_price"],
                "deposit": row["deposit"],
                "mortgage_ratio": row["mortgage_ratio"],
                "sign_due_date": row["sign_due_date"] or day + dt.timedelta(days=plan.sign_within_days),
                "co_buyers": row["co_buyers"],
                "note": row["note"],
                "status": rooms.SUBSCRIBED,
                "owner_conflict": conflict,
                "ended_date": None,
                "row_hash": row.digest,
                "core_hash": core_hash(row, SUBSCRIPTION_CORE),
                **self.own(),
            },
            stored=False,
        )
        j.add(self.new_subs, sub)
        j.put(state.subs, sub.no, sub)
        j.add(state.subs_by_room[room.code], sub)
        self.take_plan(sub, plan)
        self.take_discounts(sub, discounts)
        return 1

    def _collision(self, row: Row, customer: Rec, rep: Account) -> None:
        owner = self.state.account_by_id[customer.owner_id]
        row.warn(
            "subscription-collision",
            "rep",
            owner=owner.username,
            owner_name=owner.display_name,
            since=customer.owned_since.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        )
        pair = (customer.id, rep.id)
        if pair not in self.state.collisions:
            self.state.collisions.add(pair)
            self.j.undo.append(lambda: self.state.collisions.discard(pair))
            self.j.add(
                self.new_collisions,
                {
                    "customer_id": customer.id,
                    "account_id": rep.id,
                    "owner_id": customer.owner_id,
                    "owner_since": customer.owned_since,
                    "version_id": self.version_id,
                    "detected_at": now(),
                    "status": "open",
                    "settled_by_id": None,
                    "settled_at": None,
                },
            )

    # -- a deal's own terms (``sync.domain.terms``, in memory) -----------------------------------

    def take_plan(self, sub: Rec, plan: PaymentPlan, special: Rec | None = None) -> None:
        lines = self.state.term_lines[id(sub)]
        if special is not None:
            for held in lines:
                if held.ended_by is None:
                    self.j.set(held, "ended_by", special)
        for seq, category, ratio, amount, due_days in self.state.plan_lines.get(plan.code, ()):
            fixed = amount
            if fixed is not None and category == DEPOSIT:
                fixed = sub.deposit
            rec = Rec(
                {
                    "plan_code": plan.code,
                    "seq": seq,
                    "category": category,
                    "ratio": ratio,
                    "amount": fixed,
                    "due_days": due_days,
                },
                stored=False,
            )
            rec.sub, rec.special, rec.ended_by = sub, special, None
            self.j.add(lines, rec)
            self.j.add(self.new_lines, rec)

    def take_discounts(self, sub: Rec, discounts: Iterable[Discount], special: Rec | None = None) -> None:
        held = self.state.deal_discounts[id(sub)]
        if special is not None:
            for d in held:
                if d.ended_by is None:
                    self.j.set(d, "ended_by", special)
        for seq, discount in enumerate(discounts, start=1):
            rec = Rec(
                {
                    "seq": seq,
                    "code": discount.code,
                    "name": discount.name,
                    "kind": discount.kind,
                    "value": discount.value,
                },
                stored=False,
            )
            rec.sub, rec.special, rec.ended_by = sub, special, None
            self.j.add(held, rec)
            self.j.add(self.new_discounts, rec)

    def discounts_of(self, sub: Rec) -> list[Rec]:
        return sorted(
            (d for d in self.state.deal_discounts[id(sub)] if d.ended_by is None), key=lambda d: d.seq
        )

    # -- 签约 ---------------------------------------------------------------------------------------

    def _subscription(self, no: str, field: str = "subscription_no") -> Rec:
        sub = self.state.subs.get(no)
        if sub is None:
            raise RowRefused("unknown-subscription", field)
        self.state.scope(sub.project_code, field)
        return sub

    def contract(self, row: Row) -> int:
        state, j = self.state, self.j
        existing = state.contracts.get(row["no"])
        if existing is not None:
            return self._changed_deal(row, existing, CONTRACT_CORE, CONTRACT_FREE)
        sub = self._subscription(row["subscription_no"])
        if sub.status == "退房":
            raise RowRefused("contract-subscription-cancelled", "subscription_no", date=sub.ended_date)
        if sub.status == rooms.CONTRACTED:
            other = state.contract_of.get(id(sub))
            raise RowRefused("subscription-contracted", "subscription_no", other=other.no if other else None)
        if row["date"] < sub.date:
            raise RowRefused("date-order", "date", other="认购日期")
        if abs(row["total_price"] - sub.total_price) > pricing.PRICE_TOLERANCE:
            raise RowRefused("contract-price", "total_price", expected=f"{sub.total_price:,.2f}", no=sub.no)
        room = state.room(sub.room_code)
        self.transition(room, "签约", on=row["date"], ref=sub.no)
        j.set(sub, "status", rooms.CONTRACTED)
        self.warn_if_late(row, "date", row["date"], sub.project_code)
        rec = Rec(
            {
                "no": row["no"],
                "date": row["date"],
                "area": row["area"],
                "unit_price": row["unit_price"],
                "total_price": row["total_price"],
                "bank": row["bank"],
                "mortgage_amount": row["mortgage_amount"],
                "filed_date": row["filed_date"],
                "row_hash": row.digest,
                "core_hash": core_hash(row, CONTRACT_CORE),
                **self.own(),
            },
            stored=False,
        )
        rec.sub = sub
        j.add(self.new_contracts, rec)
        j.put(state.contracts, rec.no, rec)
        j.put(state.contract_of, id(sub), rec)
        return 1

    # -- 特殊事务 ---------------------------------------------------------------------------------

    def special(self, row: Row) -> int:
        state = self.state
        known = state.special_hashes.get(row["no"], False)
        if known is not False:
            if known == row.digest or row.untouched_since_base:
                return 0
            raise RowRefused("special-changed", "no")
        sub = self._subscription(row["subscription_no"])
        if sub.status not in LIVE:
            raise RowRefused("deal-not-live", "subscription_no", status=sub.status, date=sub.ended_date)
        day: dt.date = row["date"]
        if day < sub.date:
            raise RowRefused("date-order", "date", other="认购日期")
        fields = [
            "no",
            "kind",
            "date",
            "approval_no",
            "reason",
            "new_room_code",
            "new_customer_name",
            "new_customer_phone",
            "new_plan_code",
            "new_discount_codes",
            "new_total_price",
            "refund_amount",
        ]
        tx = Rec(
            {
                **{f: row[f] for f in fields},
                "old_room_code": sub.room_code,
                "old_status": sub.status,
                "old_customer_name": sub.customer_name,
                "old_customer_phone": sub.customer_phone,
                "old_plan_code": sub.plan_code,
                "old_discount_codes": sub.discount_codes,
                "old_total_price": sub.total_price,
                "old_area": sub.area,
                "finance_acknowledged_at": None,
                "finance_date": None,
                "finance_account_id": None,
                "finance_version_id": None,
                "finance_note": None,
                "control_confirmed_at": None,
                "control_account_id": None,
                "row_hash": row.digest,
                **self.own(),
            },
            stored=False,
        )
        tx.sub = sub
        self.j.add(self.new_specials, tx)
        self.j.put(state.special_hashes, tx.no, tx.row_hash)
        {
            "换房": self._change_room,
            "退房": self._cancel,
            "更名": self._rename,
            "变更付款方案": self._change_plan,
            "变更折扣": self._change_discounts,
        }[row["kind"]](row, sub, tx)
        row.warn("special-finance-notified", "kind", kind=row["kind"])
        return 1

    def _reprice(self, sub: Rec, room: Rec, total: Decimal) -> None:
        project = self.state.scope(room.project_code, "new_room_code")
        area = pricing.basis_area(project, cast(Room, room)) or sub.area
        unit = pricing.unit_price(total, area)
        for name, value in (("total_price", total), ("area", area), ("unit_price", unit)):
            self.j.set(sub, name, value)
        contract = self.state.contract_of.get(id(sub))
        if contract is not None:
            for name, value in (("total_price", total), ("area", area), ("unit_price", unit)):
                self.j.set(contract, name, value)

    def _change_room(self, row: Row, sub: Rec, tx: Rec) -> None:
        state, day = self.state, row["date"]
        new = state.room(row["new_room_code"], "new_room_code")
        if new.code == sub.room_code:
            raise RowRefused("same-room", "new_room_code")
        if new.project_code != sub.project_code:
            raise RowRefused("room-other-project", "new_room_code", project=new.project_code)
        self.expire_hold(new, day)
        live = state.live_deal(new.code)
        if live is not None:
            raise RowRefused(
                "room-has-deal", "new_room_code", room=new.code, status=new.status, other=live.no
            )
        discounts = self.discounts_of(sub)
        pricing.check_price(
            cast(Room, new), cast(list[DealDiscount], discounts), row["new_total_price"], "new_total_price"
        )
        old = state.room(sub.room_code)
        self.transition(old, "换出", on=day, ref=row["no"])
        self.transition(new, "换入" + sub.status, on=day, ref=row["no"], field="new_room_code")
        self.j.set(sub, "room_code", new.code)
        self.j.add(state.subs_by_room[new.code], sub)
        self._reprice(sub, new, row["new_total_price"])

    def _cancel(self, row: Row, sub: Rec, tx: Rec) -> None:
        refund = row["refund_amount"]
        if refund is not None:
            got = self.state.received(sub)
            if refund > got:
                raise RowRefused("refund-exceeds-received", "refund_amount", received=f"{got:,.2f}")
        room = self.state.room(sub.room_code)
        self.transition(room, "退房", on=row["date"], ref=row["no"])
        self.j.set(sub, "status", "退房")
        self.j.set(sub, "ended_date", row["date"])

    def _rename(self, row: Row, sub: Rec, tx: Rec) -> None:
        customer = self.state.customers.get(row["new_customer_phone"])
        self.j.set(sub, "customer_name", row["new_customer_name"])
        self.j.set(sub, "customer_phone", row["new_customer_phone"])
        self.j.set(sub, "customer_id", customer.id if customer is not None else None)

    def _change_plan(self, row: Row, sub: Rec, tx: Rec) -> None:
        plan = pricing.check_plan(
            self.state.plans.get(row["new_plan_code"]), sub.project_code, row["date"], "new_plan_code"
        )
        if plan.code == sub.plan_code:
            raise RowRefused("same-plan", "new_plan_code")
        self.j.set(sub, "plan_code", plan.code)
        self.take_plan(sub, plan, tx)

    def _change_discounts(self, row: Row, sub: Rec, tx: Rec) -> None:
        codes = pricing.parse_codes(row["new_discount_codes"])
        discounts = pricing.check_discounts(
            self.state.discounts, codes, sub.project_code, row["date"], "new_discount_codes"
        )
        room = self.state.room(sub.room_code)
        pricing.check_price(cast(Room, room), discounts, row["new_total_price"], "new_total_price")
        self.j.set(sub, "discount_codes", pricing.join_codes(codes))
        self.take_discounts(sub, discounts, tx)
        self._reprice(sub, room, row["new_total_price"])

    def inserted(self) -> set[tuple[str, tuple[Any, ...]]]:
        """The sheet rows that made new rows (by entity and key): sealed by digest, not logged one by one."""
        if self._inserted is None:
            self._inserted = {
                (sheet.entity, tuple(getattr(rec, k) for k in sheet.key))
                for sheet, recs in (
                    (SUBSCRIPTIONS, self.new_subs),
                    (CONTRACTS, self.new_contracts),
                    (SPECIALS, self.new_specials),
                    (ROOM_CONTROLS, self.new_controls),
                )
                for rec in recs
            }
        return self._inserted

    # -- the writes, in bulk ---------------------------------------------------------------------

    def write(self) -> None:
        """Everything the rows made, inserted and updated in bulk in the version's transaction; rows
        of a table go in the order the rows made them."""
        ctx = self.ctx
        session = ctx.session
        session.flush()
        before = {m: last_id(session, m.__table__) for m in (Subscription, Contract, SpecialTransaction)}
        subs = [s.values(_columns(Subscription)) for s in self.new_subs]
        _insert(session, Subscription, subs)
        sub_ids = _ids(session, Subscription, [s.no for s in self.new_subs])
        for sub in self.new_subs:
            sub.id = sub_ids[sub.no]
        contract_cols = _columns(Contract)
        contracts = [{**c.values(contract_cols), "subscription_id": c.sub.id} for c in self.new_contracts]
        _insert(session, Contract, contracts)
        special_cols = _columns(SpecialTransaction)
        specials = [{**t.values(special_cols), "subscription_id": t.sub.id} for t in self.new_specials]
        _insert(session, SpecialTransaction, specials)
        special_ids = _ids(session, SpecialTransaction, [t.no for t in self.new_specials])
        for tx in self.new_specials:
            tx.id = special_ids[tx.no]
        for model, new, held in (
            (DealTermLine, self.new_lines, self.state.term_lines),
            (DealDiscount, self.new_discounts, self.state.deal_discounts),
        ):
            cols = _columns(model)
            ended = [
                {"_id": rec.id, "ended_by_id": rec.ended_by.id}
                for recs in held.values()
                for rec in recs
                if rec.stored and rec.ended_by is not None
            ]
            _update(session, model, ["ended_by_id"], ended)
            _insert(
                session,
                model,
                [
                    {
                        **rec.values(cols),
                        "subscription_id": rec.sub.id,
                        "special_id": rec.special.id if rec.special is not None else None,
                        "ended_by_id": rec.ended_by.id if rec.ended_by is not None else None,
                    }
                    for rec in new
                ],
            )
        _insert(session, RoomStatusChange, self.changes)
        _update_changed(session, Room, self.state.rooms.values(), ["status"], key="id")
        _update_changed(session, Subscription, self.state.subs.values(), _columns(Subscription), key="id")
        _update_changed(session, Contract, self.state.contracts.values(), _columns(Contract), key="id")
        control_cols = ["reason", "hold_until", "row_hash", "version_id"]
        _update_changed(session, RoomControl, self.state.controls.values(), control_cols)
        before_controls = last_id(session, RoomControl.__table__)
        controls = [c.values(_columns(RoomControl)) for c in self.new_controls]
        _insert(session, RoomControl, controls)
        _insert(session, Collision, self.new_collisions)
        session.expire_all()  # the ORM's copies of what was written in bulk are stale now
        # The work log after the expiry (its head row is read again, in this transaction): the stored
        # rows' changes old → new (what the journal read them with), the new rows sealed by digest.
        _log_changed(ctx, SUBSCRIPTIONS, Subscription, self.state.subs.values())
        _log_changed(ctx, CONTRACTS, Contract, self.state.contracts.values())
        _log_changed(ctx, ROOM_CONTROLS, RoomControl, self.state.controls.values(), control_cols)
        seal_new(ctx, SUBSCRIPTIONS, Subscription.__table__, subs, before[Subscription])
        seal_new(ctx, CONTRACTS, Contract.__table__, contracts, before[Contract])
        seal_new(ctx, SPECIALS, SpecialTransaction.__table__, specials, before[SpecialTransaction])
        seal_new(ctx, ROOM_CONTROLS, RoomControl.__table__, controls, before_controls)


def _log_changed(
    ctx: IngestContext, sheet: Sheet, model: Any, recs: Iterable[Rec], columns: Sequence[str] | None = None
) -> None:
    """The sealed columns a version changes on stored rows, old → new (before the update)."""
    wanted = columns if columns is not None else _columns(model)
    changes: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    for rec in recs:
        if rec.stored:
            changed = rec.changed(wanted)
            if changed:
                changes.append((log_key(rec.values(sheet.key), sheet), rec._stored or {}, changed))
    log_changes(ctx, sheet, model.__table__, changes)


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    keys = _columns(model)
    bulk = BulkInsert(session, model.__table__, keys)
    for batch in chunks(rows, 5000):
        bulk.execute({k: [r.get(k) for r in batch] for k in keys})


def _ids(session: Session, model: Any, nos: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for batch in chunks(nos):
        out.update(
            (no, id_) for no, id_ in session.execute(select(model.no, model.id).where(model.no.in_(batch)))
        )
    return out


def _update(session: Session, model: Any, columns: Sequence[str], params: list[dict[str, Any]]) -> None:
    """``UPDATE … WHERE id = :_id`` for many rows with the driver's ``executemany``."""
    if not params:
        return
    table = cast(Table, model.__table__)
    stmt = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in columns})
    session.execute(stmt, params)


def _update_changed(
    session: Session, model: Any, recs: Iterable[Rec], columns: Sequence[str], key: str = "id"
) -> None:
    """The stored rows whose values changed in memory, updated grouped by the columns that changed."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for rec in recs:
        if not rec.stored:
            continue
        changed = rec.changed(columns)
        if changed:
            groups[tuple(sorted(changed))].append({**changed, "_id": getattr(rec, key)})
    for cols, params in groups.items():
        _update(session, model, cols, params)


def log_applied(ctx: IngestContext, applied: list[Row]) -> None:
    """The work log of the applied rows that changed stored rows (one entry per row with its values,
    appended together); the new rows are sealed by digest in :meth:`BulkSalesControl.write`."""
    if not applied:
        return
    if ctx.log is None:
        ctx.log = LogWriter(ctx.session, ctx.account.id, ctx.version.id)
    headers: dict[str, dict[str, str]] = {}
    for row in applied:
        if row.sheet.entity not in headers:
            headers[row.sheet.entity] = {c.field: c.header for c in row.sheet.columns}

    def change(row: Row) -> Change:
        named = headers[row.sheet.entity]
        return Change(
            row.sheet.entity,
            " / ".join(str(v) for v in row.key)[:200],
            "写入",
            changes=Change.detail({named[f]: show(v) for f, v in row.values.items() if f in named}),
        )

    ctx.log.append_many(change(row) for row in applied)


@PLANS.register("sales_control")
def apply_sales_control(ctx: IngestContext) -> PlanResult:
    """The 销控 plan: removed controls first (as before), then the changed rows in date order over
    the version's state in memory, then the writes in bulk."""
    result = PlanResult()
    reference = SalesControl(ctx)
    if not reference.removed_controls(result):
        return result
    session = ctx.session
    session.flush()
    rows = changed_rows(ctx)
    rows.sort(key=lambda r: r.order)
    plan = BulkSalesControl(ctx, State(ctx, rows))
    handlers = {
        "room_control": plan.control,
        "subscription": plan.subscription,
        "contract": plan.contract,
        "special_transaction": plan.special,
    }
    applied: list[Row] = []
    for row in rows:
        try:
            written = handlers[row.sheet.entity](row)
        except RowRefused as refused:
            plan.j.rollback()
            result.findings.append(row.finding(refused.code, refused.field, Severity.ERROR, **refused.params))
            continue
        plan.j.release()
        result.rows_written += written
        result.findings.extend(row.warnings)
        if written:
            applied.append(row)
    plan.write()
    log_applied(ctx, [row for row in applied if (row.sheet.entity, row.key) not in plan.inserted()])
    reference.missing_deals(result)
    return result
