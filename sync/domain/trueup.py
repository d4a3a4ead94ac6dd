"""Area true-up (面积补差) per 商品房销售管理办法（建设部令第88号）第二十条 (docs/domain.md §2.5).

On the project's pricing area (建筑面积 or 套内面积), when the contract agrees nothing else:

    面积误差比 = (产权登记面积 − 合同约定面积) / 合同约定面积

- |误差比| ≤ 3%: settled at the contract unit price on the actual area — the buyer pays the
  difference, or the developer refunds it.
- above +3%: the buyer pays for the part up to +3%; the developer bears the rest.
- below −3%: the developer refunds the part down to −3%, and the part beyond −3% at double.

Beyond ±3% the buyer may cancel instead; the split is what applies when they do not. 按套 pricing
has no true-up. Areas are exact decimals; each money part is rounded to the cent (half up) once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

LIMIT = Decimal("0.03")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
AREA_BASES = ("建筑面积", "套内面积")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TrueUp:
    basis: str
    contract_area: Decimal
    measured_area: Decimal
    unit_price: Decimal
    ratio: Decimal  # a fraction rounded to 6 places: 0.0301 is +3.01%
    buyer_pays: Decimal = ZERO  # the buyer pays for the extra area up to +3%
    developer_bears: Decimal = ZERO  # the extra area beyond +3%, which the buyer does not pay
    refund: Decimal = ZERO  # refunded for the missing area down to −3%
    double_refund: Decimal = ZERO  # the missing area beyond −3%, refunded at double (already doubled)

    @property
    def amount(self) -> Decimal:
        """What the buyer owes (positive) or is owed (negative)."""
        return self.buyer_pays - self.refund - self.double_refund

    @property
    def buyer_may_cancel(self) -> bool:
        return abs(self.measured_area - self.contract_area) > self.contract_area * LIMIT


def area_true_up(
    basis: str, contract_area: Decimal, measured_area: Decimal, unit_price: Decimal
) -> TrueUp | None:
    """The 第二十条 split for one room; ``None`` under 按套 pricing."""
    if basis not in AREA_BASES:
        return None
    if contract_area <= 0:
        raise ValueError("contract area must be positive")
    diff = measured_area - contract_area
    band = contract_area * LIMIT  # the area of 3%, exact
    ratio = (diff / contract_area).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    base = TrueUp(basis, contract_area, measured_area, unit_price, ratio)
    if abs(diff) <= band:
        if diff >= 0:
            return _with(base, buyer_pays=cents(diff * unit_price))
        return _with(base, refund=cents(-diff * unit_price))
    if diff > 0:
        return _with(
            base, buyer_pays=cents(band * unit_price), developer_bears=cents((diff - band) * unit_price)
        )
    return _with(base, refund=cents(band * unit_price), double_refund=cents((-diff - band) * unit_price * 2))


def _with(
    base: TrueUp,
    *,
    buyer_pays: Decimal = ZERO,
    developer_bears: Decimal = ZERO,
    refund: Decimal = ZERO,
    double_refund: Decimal = ZERO,
) -> TrueUp:
    return replace(
        base,
        buyer_pays=buyer_pays,
        developer_bears=developer_bears,
        refund=refund,
        double_refund=double_refund,
    )
