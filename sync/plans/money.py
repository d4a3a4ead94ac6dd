"""收款 plan: receipts (with deleted versions, 红冲 and refunds), mortgages, and finance's side of
special transactions (docs/domain.md §2.4). Receipts apply set-based (:mod:`sync.plans.receipts`);
mortgages and 事务处理 one by one, each in a savepoint.

A receipt missing from a later version of the workbook is deleted the way the seed means it: kept,
marked with the version that deleted it, and listed as deleted. A changed receipt keeps its old
row the same way and becomes the next revision of its 票据编号.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from schema.base import now
from schema.models import Mortgage, MortgageStatusChange, Receipt, SpecialTransaction, Subscription
from schema.models.deals import LIVE
from sync.core.errors import RowRefused
from sync.domain import ledger, owed_back
from sync.kinds.finance import MORTGAGE_STATUSES, RECEIPTS
from sync.plans.context import PLANS, IngestContext, PlanResult
from sync.plans.receipts import apply_receipts
from sync.plans.rowwise import (
    Row,
    all_keys,
    apply_rows,
    base_keys,
    changed_only,
    check_scope,
    held_for_removals,
    known_hashes,
    rows_of,
    warn_if_late,
)
from validators.findings import Finding, Severity

RECEIPT_FIELDS = ("no",)
FORWARD = MORTGAGE_STATUSES[:4]  # 资料收集 → 已送银行 → 已审批 → 已放款; 已拒贷 from any but 已放款
REJECTED = "已拒贷"


def live_receipt(ctx: IngestContext, project: str, no: str) -> Receipt | None:
    return ctx.session.scalar(
        select(Receipt).where(Receipt.project_code == project, Receipt.no == no, Receipt.deleted_at.is_(None))
    )


def reversal_of(ctx: IngestContext, original: Receipt) -> Receipt | None:
    """The live 红冲 of a receipt, if it has one."""
    return ctx.session.scalar(
        select(Receipt).where(
            Receipt.project_code == original.project_code,
            Receipt.reverses_no == original.no,
            Receipt.deleted_at.is_(None),
        )
    )


class Finance:
    def __init__(self, ctx: IngestContext) -> None:
        self.ctx = ctx
        self.session = ctx.session

    def _subscription(self, no: str) -> Subscription:
        sub = self.session.scalar(select(Subscription).where(Subscription.no == no))
        if sub is None:
            raise RowRefused("unknown-subscription", "subscription_no")
        check_scope(self.session, self.ctx.account, sub.project_code, "subscription_no")
        return sub

    # -- 收款 ---------------------------------------------------------------------------------------

    def receipt(self, row: Row) -> int:
        ctx, session = self.ctx, self.session
        sub = self._subscription(row["subscription_no"])
        existing = live_receipt(ctx, sub.project_code, row["no"])
        if existing is not None:
            if existing.row_hash == row.digest or row.untouched_since_base:
                return 0
            if existing.workbook_id != ctx.workbook.id and existing.account_id != ctx.account.id:
                raise RowRefused("receipt-no-taken", "no", project=sub.project_code)
            if reversal_of(ctx, existing) is not None:
                raise RowRefused("receipt-reversed-locked", "no")
            existing.deleted_at, existing.deleted_in_version_id = now(), ctx.version.id
            existing.deleted_reason = "更正"
            session.flush()
        amount: Decimal = row["amount"]
        paid_on = row["paid_at"].date()
        if row["reverses_no"] is not None:
            self._check_reversal(row, sub, amount)
        elif row["category"] == "退款" and sub.status == "退房":
            self._check_refund(sub, amount)
        elif sub.status == "退房" and sub.ended_date is not None and paid_on > sub.ended_date:
            raise RowRefused("receipt-deal-ended", "subscription_no", date=sub.ended_date)
        elif amount < 0:  # money back on a live deal: never more than the buyer is owed
            owed_back.check(session, sub, row["category"], amount)
        elif sub.status in LIVE and row["category"] not in ledger.NOT_PRICE:
            over = owed_back.overpaid(session, sub, amount, paid_on)
            if over > 0:
                row.warn("receipt-overpaid", "amount", over=f"{over:,.2f}", no=sub.no)
        revision = session.scalar(
            select(func.max(Receipt.revision)).where(
                Receipt.project_code == sub.project_code, Receipt.no == row["no"]
            )
        )
        warn_if_late(ctx, row, "paid_at", paid_on, sub.project_code)
        session.add(
            Receipt(
                project_code=sub.project_code,
                no=row["no"],
                revision=(revision or 0) + 1,
                subscription_id=sub.id,
                category=row["category"],
                amount=amount,
                payer=row["payer"],
                method=row["method"],
                paid_at=row["paid_at"],
                reverses_no=row["reverses_no"],
                note=row["note"],
                version_id=ctx.version.id,
                account_id=ctx.account.id,
                workbook_id=ctx.workbook.id,
                row_hash=row.digest,
            )
        )
        return 1

    def _check_reversal(self, row: Row, sub: Subscription, amount: Decimal) -> None:
        """A 红冲 names a live original of the same deal, never exceeds it, and is its only one."""
        original = live_receipt(self.ctx, sub.project_code, row["reverses_no"])
        if original is None:
            raise RowRefused("reversal-unknown-original", "reverses_no")
        if original.amount <= 0:
            raise RowRefused("reversal-of-negative", "reverses_no")
        if original.subscription_id != sub.id:
            raise RowRefused("reversal-other-deal", "reverses_no")
        if original.category != row["category"]:
            raise RowRefused("reversal-category", "category", original=original.category, no=original.no)
        earlier = reversal_of(self.ctx, original)
        if earlier is not None:
            raise RowRefused("receipt-reversed-twice", "reverses_no", by=earlier.no)
        if -amount > original.amount:
            raise RowRefused("reversal-exceeds", "amount", original=f"{original.amount:,.2f}")

    def _check_refund(self, sub: Subscription, amount: Decimal) -> None:
        """A refund belongs to a 退房 and never exceeds what was received, nor the approved refund."""
        if sub.status != "退房":
            raise RowRefused("refund-needs-cancellation", "subscription_no", status=sub.status)
        got = ledger.received(self.session, [sub.id])[sub.id]
        if -amount > got:
            raise RowRefused("refund-exceeds-received", "amount", received=f"{got:,.2f}")
        cancel = self.session.scalar(
            select(SpecialTransaction).where(
                SpecialTransaction.subscription_id == sub.id, SpecialTransaction.kind == "退房"
            )
        )
        if cancel is not None and cancel.refund_amount is not None:
            after = ledger.refunded(self.session, sub.id) - amount
            if after > cancel.refund_amount:
                raise RowRefused(
                    "refund-exceeds-approved", "amount", approved=f"{cancel.refund_amount:,.2f}", no=cancel.no
                )

    def deleted_receipts(self, result: PlanResult) -> bool:
        """Receipts of this workbook missing from this version become deleted versions (kept)."""
        ctx = self.ctx
        stored = self.session.scalars(
            select(Receipt).where(Receipt.workbook_id == ctx.workbook.id, Receipt.deleted_at.is_(None))
        ).all()
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
        stamp = now()
        for receipt in sorted(gone, key=lambda r: r.amount):  # reversals first: their originals may follow
            reversal = reversal_of(ctx, receipt)
            if reversal is not None and reversal not in gone:
                result.findings.append(
                    Finding(
                        "receipt-delete-reversed",
                        RECEIPTS.name,
                        None,
                        RECEIPTS.header("no"),
                        receipt.no,
                        {"by": reversal.no},
                        Severity.WARNING,
                    )
                )
                continue
            receipt.deleted_at, receipt.deleted_in_version_id = stamp, ctx.version.id
            receipt.deleted_reason = "删除"
            self.session.flush()
            result.rows_written += 1
        return True

    # -- 按揭 ---------------------------------------------------------------------------------------

    def mortgage(self, row: Row) -> int:
        ctx, session = self.ctx, self.session
        sub = self._subscription(row["subscription_no"])
        existing = session.scalar(select(Mortgage).where(Mortgage.subscription_id == sub.id))
        if existing is not None and (existing.row_hash == row.digest or row.untouched_since_base):
            return 0
        status = row["status"]
        if existing is not None and existing.status != status:
            old = existing.status
            backwards = status in FORWARD and old in FORWARD and FORWARD.index(status) < FORWARD.index(old)
            if old == REJECTED or (old == "已放款" and status == REJECTED) or backwards:
                raise RowRefused("mortgage-backwards", "status", old=old)
        for name in ("submitted_date", "approved_date", "released_date"):
            if row[name] is not None and row[name] < sub.date:
                raise RowRefused("date-order", name, other="认购日期")
        if status == "已放款":
            got = ledger.received_of(session, sub.id, ledger.MORTGAGE_CATEGORIES)
            if got != row["released_amount"]:
                row.warn("mortgage-release-mismatch", "released_amount", received=f"{got:,.2f}")
        values = {
            name: row[name]
            for name in (
                "bank",
                "loan_type",
                "amount",
                "years",
                "status",
                "submitted_date",
                "approved_date",
                "released_date",
                "released_amount",
            )
        }
        before = existing.status if existing is not None else None
        if existing is None:
            existing = Mortgage(subscription_id=sub.id, **values)
            session.add(existing)
        else:
            for name, value in values.items():
                setattr(existing, name, value)
        existing.version_id, existing.account_id, existing.row_hash = (
            ctx.version.id,
            ctx.account.id,
            row.digest,
        )
        session.flush()
        if before != status:
            session.add(
                MortgageStatusChange(
                    mortgage_id=existing.id,
                    from_status=before,
                    to_status=status,
                    account_id=ctx.account.id,
                    version_id=ctx.version.id,
                    at=ctx.version.seen_at,
                )
            )
        return 1

    # -- 事务处理 -----------------------------------------------------------------------------------

    def special_done(self, row: Row) -> int:
        ctx = self.ctx
        tx = self.session.scalar(select(SpecialTransaction).where(SpecialTransaction.no == row["special_no"]))
        if tx is None:
            raise RowRefused("unknown-special", "special_no")
        sub = self.session.get(Subscription, tx.subscription_id)
        assert sub is not None
        check_scope(self.session, ctx.account, sub.project_code, "special_no")
        if tx.finance_acknowledged_at is not None and (tx.finance_date, tx.finance_note) == (
            row["done_date"],
            row["note"],
        ):
            return 0
        if row["done_date"] < tx.date:
            raise RowRefused("date-order", "done_date", other="办理日期")
        if (
            tx.kind == "退房"
            and tx.refund_amount
            and ledger.refunded(self.session, sub.id) < tx.refund_amount
        ):
            row.warn("refund-outstanding", "special_no", approved=f"{tx.refund_amount:,.2f}")
        tx.finance_acknowledged_at = tx.finance_acknowledged_at or ctx.version.seen_at
        tx.finance_date, tx.finance_note = row["done_date"], row["note"]
        tx.finance_account_id, tx.finance_version_id = ctx.account.id, ctx.version.id
        return 1


def _receipt_rank(row: Row) -> int:
    """Originals first, then 红冲, then refunds: a reversal in the same version finds its original."""
    if row["reverses_no"] is not None:
        return 1
    return 2 if row["category"] == "退款" else 0


@PLANS.register("finance")
def apply_finance(ctx: IngestContext) -> PlanResult:
    """Receipts set-based (:mod:`sync.plans.receipts`), then mortgages and 事务处理 row by row: they
    come after every receipt in the order, and a mortgage's release is checked against the money
    the receipts just wrote."""
    result = PlanResult()
    if not apply_receipts(ctx, result):
        return result
    plan = Finance(ctx)
    apply_rows(ctx, result, _other_rows(ctx), {"mortgage": plan.mortgage, "special_done": plan.special_done})
    return result


def _other_rows(ctx: IngestContext) -> list[Row]:
    """The changed 按揭 rows, then the 事务处理 rows, in the order the plan applies them."""
    mortgages = rows_of(ctx, "mortgage", None, 0)
    loans = select(Subscription.no, Mortgage.row_hash).join(
        Subscription, Subscription.id == Mortgage.subscription_id
    )
    mortgages = changed_only(
        mortgages,
        known_hashes(ctx.session, loans, Subscription.no, [r["subscription_no"] for r in mortgages]),
    )
    for row in mortgages:
        row.order = (3, *row.order)
    done = rows_of(ctx, "special_done", "done_date", 0)
    for row in done:
        row.order = (4, *row.order)
    return [*mortgages, *done]


def apply_finance_rowwise(ctx: IngestContext) -> PlanResult:
    """The 收款 plan as it was, every receipt in its own savepoint (:meth:`Finance.receipt`): kept
    as the reference the set-based plan is compared with row for row (tests/test_receipts_set.py)."""
    result = PlanResult()
    plan = Finance(ctx)
    if not plan.deleted_receipts(result):
        return result
    session = ctx.session
    receipts = rows_of(ctx, "receipt", "paid_at", 0)
    mine = select(Receipt.no, Receipt.row_hash).where(
        Receipt.workbook_id == ctx.workbook.id, Receipt.deleted_at.is_(None)
    )
    receipts = changed_only(receipts, known_hashes(session, mine, Receipt.no, [r["no"] for r in receipts]))
    for row in receipts:
        row.order = (_receipt_rank(row), *row.order)
    mortgages = rows_of(ctx, "mortgage", None, 0)
    loans = select(Subscription.no, Mortgage.row_hash).join(
        Subscription, Subscription.id == Mortgage.subscription_id
    )
    mortgages = changed_only(
        mortgages, known_hashes(session, loans, Subscription.no, [r["subscription_no"] for r in mortgages])
    )
    for row in mortgages:
        row.order = (3, *row.order)
    done = rows_of(ctx, "special_done", "done_date", 0)
    for row in done:
        row.order = (4, *row.order)
    apply_rows(
        ctx,
        result,
        [*receipts, *mortgages, *done],
        {"receipt": plan.receipt, "mortgage": plan.mortgage, "special_done": plan.special_done},
    )
    return result
