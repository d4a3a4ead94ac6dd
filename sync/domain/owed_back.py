"""Money both ways on a live deal: what the developer owes the buyer back, without a 退房.

A live deal may owe the buyer money: a 面积补差 refund (the part down to −3%, and the part beyond
it at double), the price difference of a 换房 to a cheaper room, or an overpayment. Each is paid
back as a negative receipt — a negative 面积补差款 for the true-up, a 退款 for the rest — and never
more than is owed: the refund of a true-up up to the true-up's refund, a 退款 up to the deal's
credit (what was received beyond the price and any true-up). A receipt that takes the deal beyond
what it owes is accepted with a warning, and finance gets a task to refund the excess.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from schema.models import Subscription
from sync.core.errors import RowRefused
from sync.domain import ledger
from sync.domain.trueup import ZERO


def check(session: Session, sub: Subscription, category: str, amount: Decimal) -> None:
    """Refuse a negative receipt on a live deal that exceeds what the buyer is owed back."""
    if category == ledger.TRUE_UP:
        extra, _ = ledger.true_up_amount(session, sub)
        if extra >= 0:
            raise RowRefused("trueup-refund-none", "amount", no=sub.no)
        refunded = -ledger.received_of(session, sub.id, (ledger.TRUE_UP,))
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
    credit = ledger.balance(session, sub, dt.date.max).credit
    if -amount > credit:
        raise RowRefused("refund-exceeds-credit", "amount", credit=f"{credit:,.2f}", no=sub.no)


def overpaid(session: Session, sub: Subscription, amount: Decimal, day: dt.date) -> Decimal:
    """How far a receipt of ``amount`` takes the deal beyond what it owes (0 if it does not)."""
    balance = ledger.balance(session, sub, day)
    return max(ZERO, amount - max(balance.outstanding, ZERO))
