"""Average-cost position arithmetic: pure functions, Decimal only, reproducible from fills."""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings

ZERO = Decimal(0)


def _quantum() -> Decimal:
    return Decimal(1).scaleb(-settings.DECIMAL_PLACES)


@dataclass(frozen=True)
class PositionState:
    """A position: signed quantity (long > 0), average entry price, realized PnL so far."""

    quantity: Decimal = ZERO
    average_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO

    def unrealized_pnl(self, *, market_price: Decimal) -> Decimal:
        """Return the PnL of the open quantity marked at `market_price`."""
        return (market_price - self.average_price) * self.quantity


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


def position_after_fill(
    state: PositionState, *, signed_quantity: Decimal, price: Decimal
) -> tuple[PositionState, Decimal]:
    """Return the position after a fill and the PnL the fill realized.

    `signed_quantity` is positive for a buy and negative for a sell. Adding to a position moves the
    average price (rounded half-even to the project's decimal places); reducing realizes
    (price - average) on the closed quantity; crossing zero closes the whole position and opens the
    rest at the fill price.
    """
    if signed_quantity == 0:
        raise ValueError("a fill has a non-zero quantity")
    held = state.quantity
    new_quantity = held + signed_quantity
    if held == 0 or _sign(held) == _sign(signed_quantity):
        cost = abs(held) * state.average_price + abs(signed_quantity) * price
        average = (cost / abs(new_quantity)).quantize(_quantum(), rounding=ROUND_HALF_EVEN)
        return PositionState(new_quantity, average, state.realized_pnl), ZERO

    closed = min(abs(held), abs(signed_quantity))
    realized = (price - state.average_price) * closed * _sign(held)
    if new_quantity == 0:
        average = ZERO
    elif _sign(new_quantity) == _sign(held):
        average = state.average_price
    else:
        average = price
    return PositionState(new_quantity, average, state.realized_pnl + realized), realized
