"""销售服务, set-based: the changed 面积补差 and 入伙 rows resolved against the database in a few set
queries per version, the rules of the row-by-row plan (:class:`sync.plans.service.Service`) checked
in memory in the same order, the writes in bulk.

The two sheets' rows apply together in date order (a true-up, then on a later day the move-in of
the same room, which owes the true-up's amount too), as before. What the rules need — the rooms, the
project scope and pricing basis, each room's live deal and its contract, the money received, the
true-ups and move-ins already held — is read once per version; the new rows are inserted with one
bulk ``INSERT`` per table, the changed ones updated by primary key in one ``executemany``, and the
work log gets one call for the version's applied rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from schema.models import AreaTrueUp, Contract, MoveIn, Project, Receipt, Room, Subscription
from schema.models.deals import LIVE
from sync.core.errors import RowRefused
from sync.core.rows import BulkInsert
from sync.domain import ledger
from sync.domain.lookups import chunks
from sync.domain.trueup import ZERO, TrueUp, area_true_up, cents
from sync.kinds.service import MOVE_INS, TRUE_UPS
from sync.plans.context import IngestContext, PlanResult
from sync.plans.rowwise import Row
from sync.plans.sealing import last_id, log_changes, seal_new, sealed_columns, stored_values
from sync.plans.setwise import changed_rows, log_applied, refuse_if, scope_refusals
from validators.findings import Severity


@dataclass(frozen=True)
class Place:
    """A room with what the service rules read about it."""

    code: str
    project_code: str
    status: str
    removed: bool


@dataclass(frozen=True)
class LiveDeal:
    id: int
    no: str
    status: str
    date: dt.date
    total_price: Decimal


@dataclass(frozen=True)
class Signed:
    id: int
    area: Decimal
    unit_price: Decimal


@dataclass
class Kept:
    """A true-up or move-in already held: its id, fingerprint and (true-ups) amount and survey."""

    id: int | None
    row_hash: str | None
    amount: Decimal | None = None
    survey_date: dt.date | None = None


class ServiceBooks:
    def __init__(self, ctx: IngestContext, rows: list[Row]) -> None:
        session = ctx.session
        codes = sorted({r["room_code"] for r in rows})
        self.rooms: dict[str, Place] = {}
        self.true_ups: dict[str, Kept] = {}
        self.move_ins: dict[str, Kept] = {}
        self.deals: dict[str, LiveDeal] = {}
        for batch in chunks(codes):
            for code, project, status, removed in session.execute(
                select(Room.code, Room.project_code, Room.status, Room.removed_at).where(Room.code.in_(batch))
            ):
                self.rooms[code] = Place(code, project, status, removed is not None)
            for rid, code, digest, amount, survey in session.execute(
                select(
                    AreaTrueUp.id,
                    AreaTrueUp.room_code,
                    AreaTrueUp.row_hash,
                    AreaTrueUp.amount,
                    AreaTrueUp.survey_date,
                ).where(AreaTrueUp.room_code.in_(batch))
            ):
                self.true_ups[code] = Kept(rid, digest, amount, survey)
            for rid, code, digest in session.execute(
                select(MoveIn.id, MoveIn.room_code, MoveIn.row_hash).where(MoveIn.room_code.in_(batch))
            ):
                self.move_ins[code] = Kept(rid, digest)
            for sid, no, room, status, day, total in session.execute(
                select(
                    Subscription.id,
                    Subscription.no,
                    Subscription.room_code,
                    Subscription.status,
                    Subscription.date,
                    Subscription.total_price,
                )
                .where(Subscription.room_code.in_(batch), Subscription.status.in_(LIVE))
                .order_by(Subscription.id)
            ):
                self.deals.setdefault(room, LiveDeal(sid, no, status, day, total))
        projects = {p.project_code for p in self.rooms.values()}
        self.scope = scope_refusals(session, ctx.account, projects)
        stmt = select(Project.code, Project.pricing_basis).where(Project.code.in_(sorted(projects)))
        self.basis: dict[str, str] = {code: basis for code, basis in session.execute(stmt)}
        self.contracts: dict[int, Signed] = {}
        self.received: dict[int, Decimal] = {}
        ids = sorted({d.id for d in self.deals.values()})
        for batch in chunks(ids):
            for cid, sid, area, unit in session.execute(
                select(Contract.id, Contract.subscription_id, Contract.area, Contract.unit_price).where(
                    Contract.subscription_id.in_(batch)
                )
            ):
                self.contracts[sid] = Signed(cid, area, unit)
            self.received.update(_received(session, batch))


def _received(session: Session, ids: list[int]) -> dict[int, Decimal]:
    stmt = (
        select(Receipt.subscription_id, func.sum(Receipt.amount))
        .where(
            Receipt.subscription_id.in_(ids),
            Receipt.deleted_at.is_(None),
            Receipt.category.not_in(ledger.NOT_PRICE),
        )
        .group_by(Receipt.subscription_id)
    )
    return {sid: cents(Decimal(total)) for sid, total in session.execute(stmt)}


_TRUE_UP_KEYS = (
    "room_code",
    "contract_id",
    "measured_gross",
    "measured_inner",
    "survey_date",
    "report_no",
    "basis",
    "contract_area",
    "measured_area",
    "unit_price",
    "error_ratio",
    "buyer_pays",
    "developer_bears",
    "refund",
    "double_refund",
    "amount",
    "buyer_may_cancel",
    "row_hash",
)
_MOVE_IN_KEYS = (
    "room_code",
    "subscription_id",
    "date",
    "handler",
    "keys_delivered",
    "note",
    "outstanding",
    "row_hash",
)
SHEETS = {"area_true_up": TRUE_UPS, "move_in": MOVE_INS}  # whose columns and key a sealed row has


class ServiceRules:
    def __init__(self, ctx: IngestContext, books: ServiceBooks) -> None:
        self.ctx, self.books = ctx, books
        self.writes: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
            "area_true_up": ([], []),
            "move_in": ([], []),
        }

    def _place(self, row: Row) -> Place:
        room = self.books.rooms.get(row["room_code"])
        if room is None or room.removed:
            raise RowRefused("unknown-room", "room_code")
        refuse_if(self.books.scope[room.project_code], "room_code")
        return room

    def _contracted(self, room: Place, code: str) -> tuple[LiveDeal, Signed]:
        deal = self.books.deals.get(room.code)
        contract = self.books.contracts.get(deal.id) if deal is not None else None
        if deal is None or contract is None:
            raise RowRefused(code, "room_code", status=room.status)
        return deal, contract

    def _store(self, entity: str, kept: Kept | None, values: dict[str, Any]) -> None:
        new, changed = self.writes[entity]
        if kept is None or kept.id is None:
            new.append(values)
        else:
            changed.append({"id": kept.id, **{k: v for k, v in values.items() if k != "room_code"}})

    def true_up(self, row: Row) -> int:
        books = self.books
        existing = books.true_ups.get(row["room_code"])
        if existing is not None and (existing.row_hash == row.digest or row.untouched_since_base):
            return 0
        room = self._place(row)
        basis = books.basis[room.project_code]
        _, contract = self._contracted(room, "trueup-no-contract")
        measured = row["measured_inner"] if basis == "套内面积" else row["measured_gross"]
        split = area_true_up(basis, contract.area, measured, contract.unit_price)
        values = {
            "room_code": room.code,
            "contract_id": contract.id,
            "measured_gross": row["measured_gross"],
            "measured_inner": row["measured_inner"],
            "survey_date": row["survey_date"],
            "report_no": row["report_no"],
            "basis": basis,
            "contract_area": contract.area if split else None,
            "measured_area": measured if split else None,
            "unit_price": contract.unit_price if split else None,
            "error_ratio": split.ratio if split else None,
            "buyer_pays": split.buyer_pays if split else None,
            "developer_bears": split.developer_bears if split else None,
            "refund": split.refund if split else None,
            "double_refund": split.double_refund if split else None,
            "amount": split.amount if split else None,
            "buyer_may_cancel": split.buyer_may_cancel if split else False,
            "row_hash": row.digest,
        }
        warn_true_up(row, split)
        self._store("area_true_up", existing, values)
        books.true_ups[room.code] = Kept(
            existing.id if existing is not None else None, row.digest, values["amount"], row["survey_date"]
        )
        return 1

    def move_in(self, row: Row) -> int:
        books = self.books
        existing = books.move_ins.get(row["room_code"])
        if existing is not None and (existing.row_hash == row.digest or row.untouched_since_base):
            return 0
        room = self._place(row)
        deal, _ = self._contracted(room, "movein-no-contract")
        if row["date"] < deal.date:
            raise RowRefused("date-order", "date", other="认购日期")
        owed = self._outstanding(room.code, deal)
        if owed > 0:
            row.warn("movein-balance", "room_code", outstanding=f"{owed:,.2f}", no=deal.no)
        values = {
            "room_code": room.code,
            "subscription_id": deal.id,
            "date": row["date"],
            "handler": row["handler"],
            "keys_delivered": row["keys_delivered"],
            "note": row["note"],
            "outstanding": owed,
            "row_hash": row.digest,
        }
        self._store("move_in", existing, values)
        books.move_ins[room.code] = Kept(existing.id if existing is not None else None, row.digest)
        return 1

    def _outstanding(self, room_code: str, deal: LiveDeal) -> Decimal:
        """:func:`ledger.balance`'s outstanding: the price and any true-up, less what was received."""
        extra = ZERO
        held = self.books.true_ups.get(room_code)
        if held is not None and held.amount is not None and deal.status == "签约":
            extra = held.amount
        return deal.total_price + extra - self.books.received.get(deal.id, ZERO)

    def write(self) -> None:
        ctx = self.ctx
        session = ctx.session
        session.flush()
        constant = {"version_id": ctx.version.id, "account_id": ctx.account.id}
        for entity, model, keys in (
            ("area_true_up", AreaTrueUp, _TRUE_UP_KEYS),
            ("move_in", MoveIn, _MOVE_IN_KEYS),
        ):
            new, changed = self.writes[entity]
            sheet = SHEETS[entity]
            if new:
                before = last_id(session, model.__table__)
                bulk = BulkInsert(session, model.__table__, [*keys, *constant])
                for part in chunks(new, 5000):
                    columns: dict[str, list[Any]] = {k: [n[k] for n in part] for k in keys}
                    columns.update({k: [v] * len(part) for k, v in constant.items()})
                    bulk.execute(columns)
                seal_new(ctx, sheet, model.__table__, new, before)
            if changed:
                sealed = sealed_columns(sheet, model.__table__)
                stored = stored_values(
                    ctx, model.__table__, [c["id"] for c in changed], ["room_code", *sealed]
                )
                log_changes(
                    ctx,
                    sheet,
                    model.__table__,
                    [(stored[c["id"]]["room_code"], stored[c["id"]], c) for c in changed],
                )
                session.execute(update(model), [{**c, **constant} for c in changed])


def apply_service_set(ctx: IngestContext) -> PlanResult:
    """The 销售服务 version's changed rows, applied in date order, written in bulk."""
    result = PlanResult()
    session = ctx.session
    rows: list[Row] = []
    for entity, model, date_field, rank in (
        ("area_true_up", AreaTrueUp, "survey_date", 0),
        ("move_in", MoveIn, "date", 1),
    ):
        prepared = ctx.book.get(entity)
        if prepared is None or prepared.frame.empty:
            continue
        codes = sorted(set(prepared.frame["room_code"]))
        known: dict[tuple[Any, ...], str] = {}
        for batch in chunks(codes):
            stmt = select(model.room_code, model.row_hash).where(model.room_code.in_(batch))
            known.update({(code,): digest for code, digest in session.execute(stmt) if digest is not None})
        rows += changed_rows(ctx, entity, date_field, rank, known)
    if not rows:
        return result
    rules = ServiceRules(ctx, ServiceBooks(ctx, rows))
    handlers = {"area_true_up": rules.true_up, "move_in": rules.move_in}
    applied: list[Row] = []
    for row in sorted(rows, key=lambda r: r.order):
        try:
            written = handlers[row.sheet.entity](row)
        except RowRefused as refused:
            result.findings.append(row.finding(refused.code, refused.field, Severity.ERROR, **refused.params))
            continue
        result.rows_written += written
        result.findings.extend(row.warnings)
        if written:
            applied.append(row)
    rules.write()
    fresh = {(entity, (values["room_code"],)) for entity, (new, _) in rules.writes.items() for values in new}
    log_applied(ctx, [row for row in applied if (row.sheet.entity, row.key) not in fresh])  # the rest: sealed
    return result


def warn_true_up(row: Row, split: TrueUp | None) -> None:
    """The warnings a 面积补差 row carries, the same from either plan: no split for a per-unit
    price, else how the difference splits between buyer and developer, and a difference past 3%
    that lets the buyer cancel."""
    if split is None:
        row.warn("trueup-per-unit", "room_code")
    else:
        if split.buyer_may_cancel:
            row.warn("trueup-beyond-3", "room_code", ratio=f"{split.ratio * 100:.2f}")
        row.warn(
            "trueup-split",
            "room_code",
            ratio=f"{split.ratio * 100:.4f}".rstrip("0").rstrip("."),
            basis=split.basis,
            buyer_pays=f"{split.buyer_pays:,.2f}",
            developer_bears=f"{split.developer_bears:,.2f}",
            refund=f"{split.refund:,.2f}",
            double_refund=f"{split.double_refund:,.2f}",
        )
