"""销售服务 plan: the area true-up per 第二十条 (``sync.domain.trueup``) and move-in (docs/domain.md §2.5).

The rules are written here row by row; the plan applies them set-based (:mod:`sync.plans.service_set`)."""

from __future__ import annotations

from sqlalchemy import select

from schema.models import AreaTrueUp, Contract, MoveIn, Room, Subscription
from sync.core.errors import RowRefused
from sync.domain import ledger, rooms
from sync.domain.trueup import area_true_up
from sync.plans.context import PLANS, IngestContext, PlanResult
from sync.plans.rowwise import Row, apply_rows, changed_only, check_scope, known_hashes, rows_of
from sync.plans.service_set import apply_service_set, warn_true_up


class Service:
    def __init__(self, ctx: IngestContext) -> None:
        self.ctx = ctx
        self.session = ctx.session

    def _contracted(self, room: Room, code: str) -> tuple[Subscription, Contract]:
        sub = rooms.live_deal(self.session, room.code)
        contract = (
            self.session.scalar(select(Contract).where(Contract.subscription_id == sub.id))
            if sub is not None
            else None
        )
        if sub is None or contract is None:
            raise RowRefused(code, "room_code", status=room.status)
        return sub, contract

    def true_up(self, row: Row) -> int:
        ctx, session = self.ctx, self.session
        existing = session.scalar(select(AreaTrueUp).where(AreaTrueUp.room_code == row["room_code"]))
        if existing is not None and (existing.row_hash == row.digest or row.untouched_since_base):
            return 0
        room = rooms.get_room(session, row["room_code"])
        project = check_scope(session, ctx.account, room.project_code, "room_code")
        _, contract = self._contracted(room, "trueup-no-contract")
        measured = row["measured_inner"] if project.pricing_basis == "套内面积" else row["measured_gross"]
        split = area_true_up(project.pricing_basis, contract.area, measured, contract.unit_price)
        values = {
            "contract_id": contract.id,
            "measured_gross": row["measured_gross"],
            "measured_inner": row["measured_inner"],
            "survey_date": row["survey_date"],
            "report_no": row["report_no"],
            "basis": project.pricing_basis,
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
            "version_id": ctx.version.id,
            "account_id": ctx.account.id,
            "row_hash": row.digest,
        }
        warn_true_up(row, split)
        if existing is None:
            session.add(AreaTrueUp(room_code=room.code, **values))
        else:
            for name, value in values.items():
                setattr(existing, name, value)
        return 1

    def move_in(self, row: Row) -> int:
        ctx, session = self.ctx, self.session
        existing = session.scalar(select(MoveIn).where(MoveIn.room_code == row["room_code"]))
        if existing is not None and (existing.row_hash == row.digest or row.untouched_since_base):
            return 0
        room = rooms.get_room(session, row["room_code"])
        check_scope(session, ctx.account, room.project_code, "room_code")
        sub, _ = self._contracted(room, "movein-no-contract")
        if row["date"] < sub.date:
            raise RowRefused("date-order", "date", other="认购日期")
        owed = ledger.balance(session, sub, row["date"]).outstanding
        if owed > 0:
            row.warn("movein-balance", "room_code", outstanding=f"{owed:,.2f}", no=sub.no)
        values = {
            "subscription_id": sub.id,
            "date": row["date"],
            "handler": row["handler"],
            "keys_delivered": row["keys_delivered"],
            "note": row["note"],
            "outstanding": owed,
            "version_id": ctx.version.id,
            "account_id": ctx.account.id,
            "row_hash": row.digest,
        }
        if existing is None:
            session.add(MoveIn(room_code=room.code, **values))
        else:
            for name, value in values.items():
                setattr(existing, name, value)
        return 1


@PLANS.register("service")
def apply_service(ctx: IngestContext) -> PlanResult:
    """The rules below, set-based (:mod:`sync.plans.service_set`)."""
    return apply_service_set(ctx)


def apply_service_rowwise(ctx: IngestContext) -> PlanResult:
    """The 销售服务 plan as it was, every row in its own savepoint: kept as the reference the
    set-based plan is compared with row for row (tests/test_service_set.py)."""
    result = PlanResult()
    plan = Service(ctx)
    rows = []
    for entity, model, date_field, rank in (
        ("area_true_up", AreaTrueUp, "survey_date", 0),
        ("move_in", MoveIn, "date", 1),
    ):
        sheet_rows = rows_of(ctx, entity, date_field, rank)
        stmt = select(model.room_code, model.row_hash)
        codes = [r["room_code"] for r in sheet_rows]
        rows += changed_only(sheet_rows, known_hashes(ctx.session, stmt, model.room_code, codes))
    apply_rows(ctx, result, rows, {"area_true_up": plan.true_up, "move_in": plan.move_in})
    return result
