"""收款's receipts, set-based: the changed rows resolved against the database in a few set queries
per version, the rules checked row by row in memory, the writes in bulk.

The rules are those of the row-by-row plan (:class:`sync.plans.money.Finance`), in the same order
and with the same findings: receipts apply originals first, then 红冲, then refunds, each group by
date and Excel row, and a row's checks see every row applied before it — a 红冲 finds its original
entered in the same version, a refund sees the money received so far. What the rules need (the
deals, the live receipts with these 票据编号 and their 红冲, the highest revision of each 票据编号,
the money per deal and category, the true-ups, the approved refunds of 退房, the project scope) is
read once per version into :class:`Books`, which each applied row then updates.

Refusals are decided before anything is written, so no savepoint is needed. Then, inside the
version's transaction: the receipts a row revises are marked 更正 with one ``UPDATE``, the new rows go
in with one bulk ``INSERT`` (multi-row on SQLite, ``COPY`` on PostgreSQL), and the work log gets one
call for the sheet. A revision stays a row of its own (the next ``revision`` of its 票据编号).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from schema.base import now
from schema.models import AreaTrueUp, Receipt, SpecialTransaction, Subscription
from schema.models.deals import LIVE
from sync.core.errors import RowRefused
from sync.core.rows import BulkInsert
from sync.domain import ledger
from sync.domain.lookups import chunks
from sync.domain.trueup import ZERO, cents
from sync.kinds.finance import RECEIPTS
from sync.plans.context import IngestContext, PlanResult
from sync.plans.rowwise import Row, all_keys, base_keys, held_for_removals
from sync.plans.sealing import last_id, log_changes, seal_new, sealed_columns, stored_values
from sync.plans.setwise import Deadlines, changed_rows, refuse_if, scope_refusals
from validators.findings import Finding, Severity

RECEIPT_FIELDS = ("no",)


@dataclass
class Held:
    """A live receipt as the rules see it (read from the database or entered in this version)."""

    id: int | None
    project_code: str
    no: str
    subscription_id: int
    category: str
    amount: Decimal
    reverses_no: str | None
    workbook_id: int | None
    account_id: int | None
    row_hash: str | None


@dataclass(frozen=True)
class Deal:
    id: int
    no: str
    project_code: str
    room_code: str
    status: str
    ended_date: dt.date | None
    total_price: Decimal


_HELD = (
    Receipt.id,
    Receipt.project_code,
    Receipt.no,
    Receipt.subscription_id,
    Receipt.category,
    Receipt.amount,
    Receipt.reverses_no,
    Receipt.workbook_id,
    Receipt.account_id,
    Receipt.row_hash,
)


def _held(row: Any) -> Held:
    return Held(*row)


class Books:
    """What the receipts' rules read, loaded once per version and kept current as rows apply."""

    def __init__(self, ctx: IngestContext, rows: list[Row]) -> None:
        session = ctx.session
        self.deals: dict[str, Deal] = {}
        for batch in chunks(sorted({r["subscription_no"] for r in rows})):
            stmt = select(
                Subscription.id,
                Subscription.no,
                Subscription.project_code,
                Subscription.room_code,
                Subscription.status,
                Subscription.ended_date,
                Subscription.total_price,
            ).where(Subscription.no.in_(batch))
            self.deals.update({d.no: Deal(*d) for d in session.execute(stmt)})
        self.scope = scope_refusals(session, ctx.account, (d.project_code for d in self.deals.values()))
        nos = sorted(
            {r["no"] for r in rows} | {r["reverses_no"] for r in rows if r["reverses_no"] is not None}
        )
        self.live: dict[tuple[str, str], Held] = {}
        self.reversals: dict[tuple[str, str], list[Held]] = defaultdict(list)
        self.revision: dict[tuple[str, str], int] = {}
        # 票据编号 are unique per project: narrowed by project, the lookups use its unique index
        projects = sorted({d.project_code for d in self.deals.values()})
        wanted = set(nos)
        for batch in chunks(nos):
            here = (Receipt.project_code.in_(projects), Receipt.no.in_(batch))
            for r in session.execute(
                select(*_HELD).where(*here, Receipt.deleted_at.is_(None)).order_by(Receipt.id)
            ):
                self.live.setdefault((r.project_code, r.no), _held(r))
            revisions = (
                select(Receipt.project_code, Receipt.no, func.max(Receipt.revision))
                .where(*here)
                .group_by(Receipt.project_code, Receipt.no)
            )
            self.revision.update({(p, n): rev for p, n, rev in session.execute(revisions)})
        if projects:  # the live 红冲 of these projects (few), read in one pass
            for r in session.execute(
                select(*_HELD)
                .where(
                    Receipt.project_code.in_(projects),
                    Receipt.reverses_no.is_not(None),
                    Receipt.deleted_at.is_(None),
                )
                .order_by(Receipt.id)
            ):
                if r.reverses_no in wanted:  # the same object as in live: a correction removes it from both
                    same = self.live.get((r.project_code, r.no))
                    held = same if same is not None and same.id == r.id else _held(r)
                    self.reversals[(r.project_code, r.reverses_no)].append(held)
        deal_ids = {d.id for d in self.deals.values()} | {h.subscription_id for h in self.live.values()}
        self.money: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
        self.true_ups: dict[str, tuple[Decimal | None, dt.date]] = {}
        self.approved: dict[int, tuple[Decimal | None, str]] = {}  # the 退房's refund and 事务编号
        rooms = sorted({d.room_code for d in self.deals.values()})
        for batch in chunks(sorted(deal_ids)):
            sums = (
                select(Receipt.subscription_id, Receipt.category, func.sum(Receipt.amount))
                .where(Receipt.subscription_id.in_(batch), Receipt.deleted_at.is_(None))
                .group_by(Receipt.subscription_id, Receipt.category)
            )
            for sid, category, total in session.execute(sums):
                self.money[sid][category] = Decimal(total)
            for sid, refund, no in session.execute(
                select(
                    SpecialTransaction.subscription_id,
                    SpecialTransaction.refund_amount,
                    SpecialTransaction.no,
                )
                .where(SpecialTransaction.subscription_id.in_(batch), SpecialTransaction.kind == "退房")
                .order_by(SpecialTransaction.id)
            ):
                self.approved.setdefault(sid, (refund, no))
        for batch in chunks(rooms):
            for code, amount, survey in session.execute(
                select(AreaTrueUp.room_code, AreaTrueUp.amount, AreaTrueUp.survey_date).where(
                    AreaTrueUp.room_code.in_(batch)
                )
            ):
                self.true_ups[code] = (amount, survey)

    # -- what ledger and owed_back compute, from the books ---------------------------------------

    def received(self, deal_id: int, categories: Iterable[str] | None = None) -> Decimal:
        """:func:`ledger.received_of` (and, without categories, :func:`ledger.received`)."""
        money = self.money.get(deal_id, {})
        if categories is None:
            total = sum((v for c, v in money.items() if c not in ledger.NOT_PRICE), ZERO)
        else:
            total = sum((money.get(c, ZERO) for c in categories), ZERO)
        return cents(total)

    def true_up_amount(self, deal: Deal) -> Decimal:
        found = self.true_ups.get(deal.room_code)
        if found is None or found[0] is None or deal.status != "签约":
            return ZERO
        return found[0]

    def outstanding(self, deal: Deal) -> Decimal:
        """:func:`ledger.balance`'s outstanding (its overdue part is not needed here)."""
        if deal.status not in LIVE:
            return ZERO
        return deal.total_price + self.true_up_amount(deal) - self.received(deal.id)

    # -- changes ----------------------------------------------------------------------------------

    def remove(self, held: Held) -> None:
        del self.live[(held.project_code, held.no)]
        if held.reverses_no is not None:
            chain = self.reversals.get((held.project_code, held.reverses_no), [])
            if any(h is held for h in chain):
                chain.remove(held)
        self.money[held.subscription_id][held.category] -= held.amount

    def restore(self, held: Held) -> None:
        """Undo :meth:`remove` (the row that revised it was refused)."""
        self.live[(held.project_code, held.no)] = held
        if held.reverses_no is not None:
            chain = self.reversals[(held.project_code, held.reverses_no)]
            chain.append(held)
            chain.sort(key=lambda h: h.id if h.id is not None else 1 << 62)
        self.money[held.subscription_id][held.category] += held.amount

    def add(self, held: Held) -> None:
        self.live[(held.project_code, held.no)] = held
        if held.reverses_no is not None:
            self.reversals[(held.project_code, held.reverses_no)].append(held)
        self.money[held.subscription_id][held.category] += held.amount

    def reversal_of(self, original: Held) -> Held | None:
        chain = self.reversals.get((original.project_code, original.no))
        return chain[0] if chain else None


class ReceiptRules:
    """The receipt rules of :class:`sync.plans.money.Finance`, over :class:`Books`."""

    def __init__(self, ctx: IngestContext, books: Books) -> None:
        self.ctx, self.books = ctx, books
        self.deadlines = Deadlines(ctx)
        self.revised: list[int] = []  # ids of stored receipts a row of this version corrects
        self.new: list[dict[str, Any]] = []

    def apply(self, row: Row) -> int:
        ctx, books = self.ctx, self.books
        deal = books.deals.get(row["subscription_no"])
        if deal is None:
            raise RowRefused("unknown-subscription", "subscription_no")
        refuse_if(books.scope[deal.project_code], "subscription_no")
        existing = books.live.get((deal.project_code, row["no"]))
        if existing is not None:
            if existing.row_hash == row.digest or row.untouched_since_base:
                return 0
            if existing.workbook_id != ctx.workbook.id and existing.account_id != ctx.account.id:
                raise RowRefused("receipt-no-taken", "no", project=deal.project_code)
            if books.reversal_of(existing) is not None:
                raise RowRefused("receipt-reversed-locked", "no")
            books.remove(existing)
            try:
                self._check(row, deal)
            except RowRefused:
                books.restore(existing)
                raise
            if existing.id is not None:
                self.revised.append(existing.id)
            else:  # entered earlier in this version (not possible with unique keys, kept for safety)
                self.new = [n for n in self.new if n["_held"] is not existing]
        else:
            self._check(row, deal)
        key = (deal.project_code, row["no"])
        revision = books.revision.get(key, 0) + 1
        books.revision[key] = revision
        amount: Decimal = row["amount"]
        held = Held(
            None,
            deal.project_code,
            row["no"],
            deal.id,
            row["category"],
            amount,
            row["reverses_no"],
            ctx.workbook.id,
            ctx.account.id,
            row.digest,
        )
        books.add(held)
        self.new.append(
            {
                "_held": held,
                "project_code": deal.project_code,
                "no": row["no"],
                "revision": revision,
                "subscription_id": deal.id,
                "category": row["category"],
                "amount": amount,
                "payer": row["payer"],
                "method": row["method"],
                "paid_at": row["paid_at"],
                "reverses_no": row["reverses_no"],
                "note": row["note"],
                "row_hash": row.digest,
            }
        )
        return 1

    def _check(self, row: Row, deal: Deal) -> None:
        books = self.books
        amount: Decimal = row["amount"]
        paid_on = row["paid_at"].date()
        if row["reverses_no"] is not None:
            self._check_reversal(row, deal, amount)
        elif row["category"] == "退款" and deal.status == "退房":
            self._check_refund(deal, amount)
        elif deal.status == "退房" and deal.ended_date is not None and paid_on > deal.ended_date:
            raise RowRefused("receipt-deal-ended", "subscription_no", date=deal.ended_date)
        elif amount < 0:  # money back on a live deal: never more than the buyer is owed
            self._check_owed_back(deal, row["category"], amount)
        elif deal.status in LIVE and row["category"] not in ledger.NOT_PRICE:
            over = max(ZERO, amount - max(books.outstanding(deal), ZERO))
            if over > 0:
                row.warn("receipt-overpaid", "amount", over=f"{over:,.2f}", no=deal.no)
        self.deadlines.warn_if_late(row, "paid_at", paid_on, deal.project_code)

    def _check_reversal(self, row: Row, deal: Deal, amount: Decimal) -> None:
        books = self.books
        original = books.live.get((deal.project_code, row["reverses_no"]))
        if original is None:
            raise RowRefused("reversal-unknown-original", "reverses_no")
        if original.amount <= 0:
            raise RowRefused("reversal-of-negative", "reverses_no")
        if original.subscription_id != deal.id:
            raise RowRefused("reversal-other-deal", "reverses_no")
        if original.category != row["category"]:
            raise RowRefused("reversal-category", "category", original=original.category, no=original.no)
        earlier = books.reversal_of(original)
        if earlier is not None:
            raise RowRefused("receipt-reversed-twice", "reverses_no", by=earlier.no)
        if -amount > original.amount:
            raise RowRefused("reversal-exceeds", "amount", original=f"{original.amount:,.2f}")

    def _check_refund(self, deal: Deal, amount: Decimal) -> None:
        books = self.books
        got = books.received(deal.id)
        if -amount > got:
            raise RowRefused("refund-exceeds-received", "amount", received=f"{got:,.2f}")
        approved, no = books.approved.get(deal.id, (None, ""))
        if approved is not None:
            after = -books.received(deal.id, ("退款",)) - amount
            if after > approved:
                raise RowRefused("refund-exceeds-approved", "amount", approved=f"{approved:,.2f}", no=no)

    def _check_owed_back(self, deal: Deal, category: str, amount: Decimal) -> None:
        """:func:`sync.domain.owed_back.check` over the books."""
        books = self.books
        if category == ledger.TRUE_UP:
            extra = books.true_up_amount(deal)
            if extra >= 0:
                raise RowRefused("trueup-refund-none", "amount", no=deal.no)
            refunded = -books.received(deal.id, (ledger.TRUE_UP,))
            if refunded - amount > -extra:
                raise RowRefused(
                    "trueup-refund-exceeds",
                    "amount",
                    owed=f"{-extra:,.2f}",
                    refunded=f"{max(refunded, ZERO):,.2f}",
                )
            return
        if category != "退款":
            raise RowRefused("receipt-negative-live", "amount", category=category)
        credit = max(ZERO, -books.outstanding(deal))
        if -amount > credit:
            raise RowRefused("refund-exceeds-credit", "amount", credit=f"{credit:,.2f}", no=deal.no)

    def write(self) -> None:
        """The version's receipts in bulk: the corrected ones marked, the new ones inserted in the
        order they applied (so their ids follow that order, as row by row)."""
        ctx = self.ctx
        session = ctx.session
        session.flush()
        stamp = now()
        self._log_corrections()
        for batch in chunks(self.revised):
            session.execute(
                update(Receipt)
                .where(Receipt.id.in_(batch))
                .values(deleted_at=stamp, deleted_in_version_id=ctx.version.id, deleted_reason="更正")
                .execution_options(synchronize_session=False)
            )
        if not self.new:
            return
        keys = [k for k in self.new[0] if k != "_held"]
        constant = {
            "version_id": ctx.version.id,
            "account_id": ctx.account.id,
            "workbook_id": ctx.workbook.id,
        }
        before = last_id(session, Receipt.__table__)
        bulk = BulkInsert(session, Receipt.__table__, [*keys, *constant])
        for part in chunks(self.new, 5000):
            columns: dict[str, list[Any]] = {k: [n[k] for n in part] for k in keys}
            columns.update({k: [v] * len(part) for k, v in constant.items()})
            bulk.execute(columns)
        # every receipt row is new (a correction is a new revision; the old one is marked deleted)
        seal_new(ctx, RECEIPTS, Receipt.__table__, self.new, before, key=["project_code", "no"])

    def _log_corrections(self) -> None:
        """A corrected receipt's changed fields, old (the revision it replaces) → new."""
        if not self.revised:
            return
        columns = sealed_columns(RECEIPTS, Receipt.__table__, ["project_code"])
        stored = stored_values(self.ctx, Receipt.__table__, self.revised, columns)
        by_key = {(n["project_code"], n["no"]): n for n in self.new}
        changes = [
            (old["no"], old, by_key[(old["project_code"], old["no"])])
            for old in stored.values()
            if (old["project_code"], old["no"]) in by_key
        ]
        log_changes(self.ctx, RECEIPTS, Receipt.__table__, changes)


def delete_missing(ctx: IngestContext, result: PlanResult, stored: Sequence[Any]) -> bool:
    """Receipts of this workbook missing from this version become deleted versions (kept), as
    :meth:`sync.plans.money.Finance.deleted_receipts` does, in a few set statements. ``stored``:
    the workbook's live receipts (id, project, 票据编号, amount), by id. False when the version is
    held for removing too much."""
    session = ctx.session
    accepted = ctx.clean("receipt")
    here = set(accepted.frame["no"]) if accepted is not None and not accepted.frame.empty else set()
    candidates = [r for r in stored if r.no not in here]
    if not candidates:
        return True
    keys = {k[0] for k in all_keys(ctx, "receipt", RECEIPT_FIELDS)}
    base = base_keys(ctx, "receipt", RECEIPT_FIELDS)
    gone = [r for r in candidates if r.no not in keys and (base is None or (r.no,) in base)]
    if held_for_removals(ctx, result, len(gone), len(stored)):
        return False
    gone_ids = {r.id for r in gone}
    reversal: dict[tuple[str, str], tuple[int, str]] = {}
    for batch in chunks(sorted({r.no for r in gone})):
        for rid, project, no, reverses in session.execute(
            select(Receipt.id, Receipt.project_code, Receipt.no, Receipt.reverses_no)
            .where(Receipt.reverses_no.in_(batch), Receipt.deleted_at.is_(None))
            .order_by(Receipt.id)
        ):
            if reverses is not None:
                reversal.setdefault((project, reverses), (rid, no))
    deleted: list[int] = []
    for receipt in sorted(gone, key=lambda r: r.amount):  # reversals first: their originals may follow
        found = reversal.get((receipt.project_code, receipt.no))
        if found is not None and found[0] not in gone_ids:
            result.findings.append(
                Finding(
                    "receipt-delete-reversed",
                    RECEIPTS.name,
                    None,
                    RECEIPTS.header("no"),
                    receipt.no,
                    {"by": found[1]},
                    Severity.WARNING,
                )
            )
            continue
        deleted.append(receipt.id)
    stamp = now()
    for batch in chunks(deleted):
        session.execute(
            update(Receipt)
            .where(Receipt.id.in_(batch))
            .values(deleted_at=stamp, deleted_in_version_id=ctx.version.id, deleted_reason="删除")
            .execution_options(synchronize_session=False)
        )
    result.rows_written += len(deleted)
    return True


def _receipt_rank(row: Row) -> int:
    """Originals first, then 红冲, then refunds: a reversal in the same version finds its original."""
    if row["reverses_no"] is not None:
        return 1
    return 2 if row["category"] == "退款" else 0


def apply_receipts(ctx: IngestContext, result: PlanResult) -> bool:
    """The 收款 sheet's changed rows, applied in order, written in bulk. False when the version is
    held for removing too much (nothing written)."""
    session = ctx.session
    stored = session.execute(
        select(Receipt.id, Receipt.project_code, Receipt.no, Receipt.amount, Receipt.row_hash)
        .where(Receipt.workbook_id == ctx.workbook.id, Receipt.deleted_at.is_(None))
        .order_by(Receipt.id)
    ).all()
    if not delete_missing(ctx, result, stored):
        return False
    # what the workbook holds, by 票据编号 (a deleted one is missing from the sheet: never looked up)
    known = {(r.no,): r.row_hash for r in stored if r.row_hash is not None}
    rows = changed_rows(ctx, "receipt", "paid_at", 0, known)
    if not rows:
        return True
    for row in rows:
        row.order = (_receipt_rank(row), *row.order)
    rules = ReceiptRules(ctx, Books(ctx, rows))
    for row in sorted(rows, key=lambda r: r.order):
        try:
            written = rules.apply(row)
        except RowRefused as refused:
            result.findings.append(row.finding(refused.code, refused.field, Severity.ERROR, **refused.params))
            continue
        result.rows_written += written
        result.findings.extend(row.warnings)
    rules.write()  # the new receipts sealed by digest, corrections logged old → new
    return True
