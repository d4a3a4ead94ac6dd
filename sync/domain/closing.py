"""Closed loops: a special transaction that moves money (换房 / 退房 / 更名) is complete when 销控
confirms it, after finance has recorded its side (the 事务处理 sheet). Until then 销控's task list
shows it; the confirmation is recorded on the transaction and in the work log.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import SpecialTransaction, Subscription
from schema.roles import Role
from sync.core.errors import Refused
from sync.domain.accounts import get_account
from sync.domain.worklog import LogWriter

#: transactions whose money side finance records, and which 销控 then confirms complete
CLOSED_BY_CONTROL = ("换房", "退房", "更名")


def awaiting_control() -> Select[SpecialTransaction, Subscription]:
    """Transactions finance has done its part of that 销控 has not confirmed complete yet."""
    return (
        select(SpecialTransaction, Subscription)
        .join(Subscription, Subscription.id == SpecialTransaction.subscription_id)
        .where(
            SpecialTransaction.kind.in_(CLOSED_BY_CONTROL),
            SpecialTransaction.finance_acknowledged_at.is_not(None),
            SpecialTransaction.control_confirmed_at.is_(None),
        )
        .order_by(SpecialTransaction.no)
    )


def confirm_complete(session: Session, no: str, username: str) -> SpecialTransaction:
    """销控 confirms a transaction complete; refused in words when it cannot be."""
    account = get_account(session, username)
    if not account.active or Role.SALES_CONTROL.value not in account.role_keys:
        raise Refused("confirm-not-control", account=username)
    tx = session.scalar(select(SpecialTransaction).where(SpecialTransaction.no == no).with_for_update())
    if tx is None or tx.kind not in CLOSED_BY_CONTROL:
        raise Refused("confirm-unknown", no=no)
    if tx.finance_acknowledged_at is None:
        raise Refused("confirm-before-finance", no=no, kind=tx.kind)
    if tx.control_confirmed_at is not None:
        raise Refused("confirm-already", no=no)
    tx.control_confirmed_at, tx.control_account_id = now(), account.id
    LogWriter(session, account.id).append(
        "special_transaction", tx.no, "change", field="control_confirmed", old=None, new="完成"
    )
    return tx
