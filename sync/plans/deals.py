"""销控 plan: room controls, subscriptions, contracts and special transactions, applied row by row in
date order through the room state machine (``sync.domain.rooms``); see docs/domain.md §2.3.

A deal ends only through a special transaction: a subscription, contract or transaction row missing
from a later version is reported, never taken as a deletion. A removed room-control row is kept as
a deleted version; removing the hold a room is under releases it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import (
    Account,
    Collision,
    Contract,
    Customer,
    Room,
    RoomControl,
    SpecialTransaction,
    Subscription,
)
from schema.models.deals import LIVE
from schema.roles import Role
from sync.core.errors import RowRefused
from sync.core.rows import column_values
from sync.domain import ledger, pricing, rooms, terms
from sync.kinds.sales_control import CONTRACTS, ROOM_CONTROLS, SPECIALS, SUBSCRIPTIONS
from sync.plans.context import IngestContext, PlanResult
from sync.plans.rowwise import (
    Row,
    actor,
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

SUBSCRIPTION_CORE = (
    "no",
    "room_code",
    "customer_name",
    "customer_phone",
    "rep",
    "date",
    "plan_code",
    "discount_codes",
    "area",
    "unit_price",
    "total_price",
    "deposit",
)
SUBSCRIPTION_FREE = ("mortgage_ratio", "sign_due_date", "co_buyers", "note")
CONTRACT_CORE = ("no", "subscription_no", "date", "area", "unit_price", "total_price")
CONTRACT_FREE = ("bank", "mortgage_amount", "filed_date")
CONTROL_KEY = ("room_code", "op_date", "action")


def core_hash(row: Row, fields: tuple[str, ...]) -> str:
    """The fingerprint of a deal's terms as entered, which later versions may not change."""
    text = "\x1f".join("" if row[f] is None else str(row[f]) for f in fields)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def changed_rows(ctx: IngestContext) -> list[Row]:
    """The version's 销控 rows whose fingerprint differs from what the database holds (room controls
    by room, deals by number): a later version of the workbook costs only its changed rows."""
    session = ctx.session
    controls = rows_of(ctx, "room_control", "op_date", 0)
    live_controls = select(
        RoomControl.room_code, RoomControl.op_date, RoomControl.action, RoomControl.row_hash
    )
    live_controls = live_controls.where(RoomControl.deleted_at.is_(None))
    rows = changed_only(
        controls,
        known_hashes(session, live_controls, RoomControl.room_code, [r["room_code"] for r in controls]),
    )
    for entity, model, rank in (
        ("subscription", Subscription, 1),
        ("contract", Contract, 2),
        ("special_transaction", SpecialTransaction, 3),
    ):
        deals = rows_of(ctx, entity, "date", rank)
        stmt = select(model.no, model.row_hash)
        rows += changed_only(deals, known_hashes(session, stmt, model.no, [r["no"] for r in deals]))
    return rows


class SalesControl:
    def __init__(self, ctx: IngestContext) -> None:
        self.ctx = ctx
        self.session: Session = ctx.session
        self.actor = actor(ctx)

    # -- 房间控制 ---------------------------------------------------------------------------------

    def control(self, row: Row) -> int:
        session = self.session
        existing = session.scalar(
            select(RoomControl).where(
                RoomControl.room_code == row["room_code"],
                RoomControl.op_date == row["op_date"],
                RoomControl.action == row["action"],
                RoomControl.deleted_at.is_(None),
            )
        )
        if existing is not None:
            if existing.row_hash == row.digest or row.untouched_since_base:
                return 0
            existing.reason, existing.hold_until = row["reason"], row["hold_until"]
            existing.row_hash, existing.version_id = row.digest, self.ctx.version.id
            return 1
        room = rooms.get_room(session, row["room_code"])
        check_scope(session, self.ctx.account, room.project_code, "room_code")
        expired = rooms.expire_hold(session, room, row["op_date"])
        if expired and row["action"] == "取消保留":  # the hold had run out by then: nothing to release
            row.warn("hold-already-expired", "op_date")
        else:
            rooms.transition(session, room, row["action"], self.actor, on=row["op_date"])
        session.add(
            RoomControl(
                room_code=room.code,
                action=row["action"],
                reason=row["reason"],
                hold_until=row["hold_until"],
                op_date=row["op_date"],
                account_id=self.ctx.account.id,
                version_id=self.ctx.version.id,
                workbook_id=self.ctx.workbook.id,
                row_hash=row.digest,
            )
        )
        return 1

    def removed_controls(self, result: PlanResult) -> bool:
        """Controls of this workbook missing from this version: kept as deleted; a removed hold
        releases its room. Returns False when the version is held for confirmation."""
        stored = self.session.scalars(
            select(RoomControl).where(
                RoomControl.workbook_id == self.ctx.workbook.id, RoomControl.deleted_at.is_(None)
            )
        ).all()
        if not stored:
            return True
        present = {(r.room_code, r.op_date, r.action) for r in stored}
        accepted = self.ctx.clean("room_control")
        if accepted is not None and not accepted.frame.empty:
            present -= set(zip(*(column_values(accepted.frame[f]) for f in CONTROL_KEY), strict=True))
        if not present:
            return True
        keys = all_keys(self.ctx, "room_control", CONTROL_KEY)
        base = base_keys(self.ctx, "room_control", CONTROL_KEY)
        gone = [
            r
            for r in stored
            if (k := (r.room_code, r.op_date, r.action)) not in keys and (base is None or k in base)
        ]
        if held_for_removals(self.ctx, result, len(gone), len(stored)):
            return False
        stamp, today = now(), self.ctx.version.seen_at.astimezone(SHANGHAI).date()
        for control in gone:
            room = self.session.scalar(select(Room).where(Room.code == control.room_code))
            assert room is not None
            holding = room.status == rooms.HELD and rooms.current_hold(self.session, room.code) is control
            control.deleted_at, control.deleted_in_version_id = stamp, self.ctx.version.id
            if holding:  # the hold the room is under is withdrawn: the room is free again
                rooms.transition(self.session, room, "删除保留", self.actor, on=today)
                continue
            result.findings.append(
                Finding(
                    "control-removed",
                    ROOM_CONTROLS.name,
                    None,
                    ROOM_CONTROLS.header("room_code"),
                    control.room_code,
                    {"action": control.action, "status": room.status},
                    Severity.WARNING,
                )
            )
        result.rows_written += len(gone)
        return True

    # -- 认购 ---------------------------------------------------------------------------------------

    def _changed_deal(self, row: Row, existing: Any, core: tuple[str, ...], free: tuple[str, ...]) -> int:
        if existing.row_hash == row.digest or row.untouched_since_base:
            return 0
        if existing.core_hash != core_hash(row, core):
            raise RowRefused("deal-core-changed", "no", no=existing.no)
        for name in free:
            setattr(existing, name, row[name])
        existing.row_hash, existing.version_id = row.digest, self.ctx.version.id
        return 1

    def _rep(self, name: str) -> Account:
        session = self.session
        candidates = session.scalars(
            select(Account).where(or_(Account.username == name, Account.display_name == name))
        ).all()
        active = [a for a in candidates if a.active and a.holds(Role.SALES_REP)]
        if len(active) == 1:
            return active[0]
        if not active:
            raise RowRefused("unknown-rep", "rep")
        mine = [a for a in active if a.region_id == self.ctx.account.region_id]
        if len(mine) == 1:
            return mine[0]
        raise RowRefused("ambiguous-rep", "rep", count=len(active))

    def subscription(self, row: Row) -> int:
        session = self.session
        existing = session.scalar(select(Subscription).where(Subscription.no == row["no"]))
        if existing is not None:
            return self._changed_deal(row, existing, SUBSCRIPTION_CORE, SUBSCRIPTION_FREE)
        day: dt.date = row["date"]
        room = rooms.get_room(session, row["room_code"])
        project = check_scope(session, self.ctx.account, room.project_code, "room_code")
        rooms.expire_hold(session, room, day)
        live = rooms.live_deal(session, room.code)
        if live is not None:
            raise RowRefused("room-has-deal", "room_code", room=room.code, status=room.status, other=live.no)
        customer = session.scalar(select(Customer).where(Customer.phone == row["customer_phone"]))
        if customer is None:
            raise RowRefused("deal-unknown-customer", "customer_phone")
        rep = self._rep(row["rep"])
        plan = pricing.valid_plan(session, row["plan_code"], project.code, day, "plan_code")
        codes = pricing.parse_codes(row["discount_codes"])
        discounts = pricing.valid_discounts(session, codes, project.code, day, "discount_codes")
        pricing.check_area(project, room, row["area"], "area")
        pricing.check_price(room, discounts, row["total_price"], "total_price")
        rooms.transition(session, room, "认购", self.actor, on=day, ref=row["no"])
        conflict = customer.owner_id != rep.id
        if conflict:
            self._collision(row, customer, rep)
        warn_if_late(self.ctx, row, "date", day, project.code)
        sub = Subscription(
            no=row["no"],
            project_code=project.code,
            room_code=room.code,
            customer_id=customer.id,
            customer_name=row["customer_name"],
            customer_phone=row["customer_phone"],
            rep_name=row["rep"],
            rep_account_id=rep.id,
            date=day,
            plan_code=plan.code,
            discount_codes=pricing.join_codes(codes),
            area=row["area"],
            unit_price=row["unit_price"],
            total_price=row["total_price"],
            deposit=row["deposit"],
            mortgage_ratio=row["mortgage_ratio"],
            sign_due_date=row["sign_due_date"] or day + dt.timedelta(days=plan.sign_within_days),
            co_buyers=row["co_buyers"],
            note=row["note"],
            status=rooms.SUBSCRIBED,
            owner_conflict=conflict,
            version_id=self.ctx.version.id,
            account_id=self.ctx.account.id,
            workbook_id=self.ctx.workbook.id,
            row_hash=row.digest,
            core_hash=core_hash(row, SUBSCRIPTION_CORE),
        )
        session.add(sub)
        session.flush()
        terms.take_plan(session, sub, plan)  # the deal's own terms, for its whole life
        terms.take_discounts(session, sub, discounts)
        return 1

    def _collision(self, row: Row, customer: Customer, rep: Account) -> None:
        """The 置业顾问 is not the customer's owner: flagged to the sales manager as a collision."""
        owner = self.session.get(Account, customer.owner_id)
        assert owner is not None
        row.warn(
            "subscription-collision",
            "rep",
            owner=owner.username,
            owner_name=owner.display_name,
            since=customer.owned_since.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        )
        known = self.session.scalar(
            select(Collision).where(Collision.customer_id == customer.id, Collision.account_id == rep.id)
        )
        if known is None:
            self.session.add(
                Collision(
                    customer_id=customer.id,
                    account_id=rep.id,
                    owner_id=customer.owner_id,
                    owner_since=customer.owned_since,
                    version_id=self.ctx.version.id,
                    detected_at=now(),
                    status="open",
                )
            )

    # -- 签约 ---------------------------------------------------------------------------------------

    def _subscription(self, no: str, field: str = "subscription_no") -> Subscription:
        sub = self.session.scalar(select(Subscription).where(Subscription.no == no))
        if sub is None:
            raise RowRefused("unknown-subscription", field)
        check_scope(self.session, self.ctx.account, sub.project_code, field)
        return sub

    def contract(self, row: Row) -> int:
        session = self.session
        existing = session.scalar(select(Contract).where(Contract.no == row["no"]))
        if existing is not None:
            return self._changed_deal(row, existing, CONTRACT_CORE, CONTRACT_FREE)
        sub = self._subscription(row["subscription_no"])
        if sub.status == "退房":
            raise RowRefused("contract-subscription-cancelled", "subscription_no", date=sub.ended_date)
        if sub.status == rooms.CONTRACTED:
            other = session.scalar(select(Contract.no).where(Contract.subscription_id == sub.id))
            raise RowRefused("subscription-contracted", "subscription_no", other=other)
        if row["date"] < sub.date:
            raise RowRefused("date-order", "date", other="认购日期")
        if abs(row["total_price"] - sub.total_price) > pricing.PRICE_TOLERANCE:
            raise RowRefused("contract-price", "total_price", expected=f"{sub.total_price:,.2f}", no=sub.no)
        room = rooms.get_room(session, sub.room_code)
        rooms.transition(session, room, "签约", self.actor, on=row["date"], ref=sub.no)
        sub.status = rooms.CONTRACTED
        warn_if_late(self.ctx, row, "date", row["date"], sub.project_code)
        session.add(
            Contract(
                no=row["no"],
                subscription_id=sub.id,
                date=row["date"],
                area=row["area"],
                unit_price=row["unit_price"],
                total_price=row["total_price"],
                bank=row["bank"],
                mortgage_amount=row["mortgage_amount"],
                filed_date=row["filed_date"],
                version_id=self.ctx.version.id,
                account_id=self.ctx.account.id,
                workbook_id=self.ctx.workbook.id,
                row_hash=row.digest,
                core_hash=core_hash(row, CONTRACT_CORE),
            )
        )
        return 1

    # -- 特殊事务 ---------------------------------------------------------------------------------

    def special(self, row: Row) -> int:
        session = self.session
        existing = session.scalar(select(SpecialTransaction).where(SpecialTransaction.no == row["no"]))
        if existing is not None:
            if existing.row_hash == row.digest or row.untouched_since_base:
                return 0
            raise RowRefused("special-changed", "no")
        sub = self._subscription(row["subscription_no"])
        if sub.status not in LIVE:
            raise RowRefused("deal-not-live", "subscription_no", status=sub.status, date=sub.ended_date)
        day: dt.date = row["date"]
        if day < sub.date:
            raise RowRefused("date-order", "date", other="认购日期")
        tx = SpecialTransaction(
            no=row["no"],
            kind=row["kind"],
            subscription_id=sub.id,
            date=day,
            approval_no=row["approval_no"],
            reason=row["reason"],
            new_room_code=row["new_room_code"],
            new_customer_name=row["new_customer_name"],
            new_customer_phone=row["new_customer_phone"],
            new_plan_code=row["new_plan_code"],
            new_discount_codes=row["new_discount_codes"],
            new_total_price=row["new_total_price"],
            refund_amount=row["refund_amount"],
            old_room_code=sub.room_code,
            old_status=sub.status,
            old_customer_name=sub.customer_name,
            old_customer_phone=sub.customer_phone,
            old_plan_code=sub.plan_code,
            old_discount_codes=sub.discount_codes,
            old_total_price=sub.total_price,
            old_area=sub.area,
            version_id=self.ctx.version.id,
            account_id=self.ctx.account.id,
            workbook_id=self.ctx.workbook.id,
            row_hash=row.digest,
        )
        session.add(tx)
        session.flush()  # the deal's new terms name the transaction that set them
        {
            "换房": self._change_room,
            "退房": self._cancel,
            "更名": self._rename,
            "变更付款方案": self._change_plan,
            "变更折扣": self._change_discounts,
        }[row["kind"]](row, sub, tx)
        row.warn("special-finance-notified", "kind", kind=row["kind"])
        return 1

    def _reprice(self, sub: Subscription, room: Room, total: Decimal) -> None:
        project = check_scope(self.session, self.ctx.account, room.project_code, "new_room_code")
        area = pricing.basis_area(project, room) or sub.area
        sub.total_price, sub.area, sub.unit_price = total, area, pricing.unit_price(total, area)
        contract = self.session.scalar(select(Contract).where(Contract.subscription_id == sub.id))
        if contract is not None:
            contract.total_price, contract.area, contract.unit_price = total, area, sub.unit_price

    def _change_room(self, row: Row, sub: Subscription, tx: SpecialTransaction) -> None:
        session, day = self.session, row["date"]
        new = rooms.get_room(session, row["new_room_code"], "new_room_code")
        if new.code == sub.room_code:
            raise RowRefused("same-room", "new_room_code")
        if new.project_code != sub.project_code:
            raise RowRefused("room-other-project", "new_room_code", project=new.project_code)
        rooms.expire_hold(session, new, day)
        live = rooms.live_deal(session, new.code)
        if live is not None:
            raise RowRefused(
                "room-has-deal", "new_room_code", room=new.code, status=new.status, other=live.no
            )
        discounts = terms.discounts_of(session, sub)  # the deal keeps the discounts it was granted
        pricing.check_price(new, discounts, row["new_total_price"], "new_total_price")
        old = rooms.get_room(session, sub.room_code)
        rooms.transition(session, old, "换出", self.actor, on=day, ref=row["no"])
        rooms.transition(
            session, new, "换入" + sub.status, self.actor, on=day, ref=row["no"], field="new_room_code"
        )
        sub.room_code = new.code
        self._reprice(sub, new, row["new_total_price"])

    def _cancel(self, row: Row, sub: Subscription, tx: SpecialTransaction) -> None:
        refund = row["refund_amount"]
        if refund is not None:
            got = ledger.received(self.session, [sub.id])[sub.id]
            if refund > got:
                raise RowRefused("refund-exceeds-received", "refund_amount", received=f"{got:,.2f}")
        room = rooms.get_room(self.session, sub.room_code)
        rooms.transition(self.session, room, "退房", self.actor, on=row["date"], ref=row["no"])
        sub.status, sub.ended_date = "退房", row["date"]

    def _rename(self, row: Row, sub: Subscription, tx: SpecialTransaction) -> None:
        customer = self.session.scalar(select(Customer).where(Customer.phone == row["new_customer_phone"]))
        sub.customer_name, sub.customer_phone = row["new_customer_name"], row["new_customer_phone"]
        sub.customer_id = customer.id if customer is not None else None

    def _change_plan(self, row: Row, sub: Subscription, tx: SpecialTransaction) -> None:
        plan = pricing.valid_plan(
            self.session, row["new_plan_code"], sub.project_code, row["date"], "new_plan_code"
        )
        if plan.code == sub.plan_code:
            raise RowRefused("same-plan", "new_plan_code")
        sub.plan_code = plan.code
        terms.take_plan(self.session, sub, plan, tx)

    def _change_discounts(self, row: Row, sub: Subscription, tx: SpecialTransaction) -> None:
        codes = pricing.parse_codes(row["new_discount_codes"])
        discounts = pricing.valid_discounts(
            self.session, codes, sub.project_code, row["date"], "new_discount_codes"
        )
        room = rooms.get_room(self.session, sub.room_code)
        pricing.check_price(room, discounts, row["new_total_price"], "new_total_price")
        sub.discount_codes = pricing.join_codes(codes)
        terms.take_discounts(self.session, sub, discounts, tx)
        self._reprice(sub, room, row["new_total_price"])

    # -- rows that vanished ---------------------------------------------------------------------

    def missing_deals(self, result: PlanResult) -> None:
        """Deal rows of this workbook absent from this version: reported, never deleted."""
        for model, sheet in (
            (Subscription, SUBSCRIPTIONS),
            (Contract, CONTRACTS),
            (SpecialTransaction, SPECIALS),
        ):
            stored = set(
                self.session.scalars(select(model.no).where(model.workbook_id == self.ctx.workbook.id))
            )
            accepted = self.ctx.clean(sheet.entity)
            if accepted is not None and not accepted.frame.empty:
                stored -= set(accepted.frame["no"])
            if not stored:
                continue
            keys = {k[0] for k in all_keys(self.ctx, sheet.entity, ("no",))}
            for no in sorted(stored - keys):
                result.findings.append(
                    Finding(
                        "deal-row-missing", sheet.name, None, sheet.header("no"), no, {}, Severity.WARNING
                    )
                )


def apply_sales_control_rowwise(ctx: IngestContext) -> PlanResult:
    """The 销控 plan row by row, each row in its own savepoint: the reference the set-based plan
    (``sync.plans.deals_bulk``, the one registered) is compared with."""
    result = PlanResult()
    plan = SalesControl(ctx)
    if not plan.removed_controls(result):
        return result
    rows = changed_rows(ctx)
    apply_rows(
        ctx,
        result,
        rows,
        {
            "room_control": plan.control,
            "subscription": plan.subscription,
            "contract": plan.contract,
            "special_transaction": plan.special,
        },
    )
    plan.missing_deals(result)
    return result
