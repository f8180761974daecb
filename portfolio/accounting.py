"""Average-cost position arithmetic: pure functions, Decimal only, reproducible from fills."""

from dataclasses import dataclass
from decimal import Decimal

from kernel.decimals import quantize

ZERO = Decimal(0)


@dataclass(frozen=True)
class PositionState:
    """A position: signed quantity (long > 0), what its open quantity cost, realized PnL so far.

    `cost` is the sum of `quantity x price` (each rounded to the project's places, as the cash
    ledger books it) of the open quantity, released pro rata as the position shrinks: the
    realized PnL of a round trip is then exactly the cash it produced.
    """

    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    realized_pnl: Decimal = ZERO

    @property
    def average_price(self) -> Decimal:
        """Return the average entry price (cost / quantity, rounded half-even), 0 when flat."""
        return quantize(self.cost / abs(self.quantity)) if self.quantity else ZERO

    def unrealized_pnl(self, *, market_price: Decimal) -> Decimal:
        """Return the PnL of the open quantity marked at `market_price`."""
        value = quantize(abs(self.quantity) * market_price)
        return (value - self.cost) * _sign(self.quantity)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


def position_after_fill(
    state: PositionState, *, signed_quantity: Decimal, price: Decimal
) -> tuple[PositionState, Decimal]:
    """Return the position after a fill and the PnL the fill realized.

    `signed_quantity` is positive for a buy and negative for a sell. Adding to a position adds
    `quantity x price` to its cost; reducing releases the cost of the closed share (all of it
    when the position closes) and realizes the closed value minus that cost; crossing zero closes
    the whole position and opens the rest at the fill price.
    """
    if signed_quantity == 0:
        raise ValueError("a fill has a non-zero quantity")
    held = state.quantity
    if held == 0 or _sign(held) == _sign(signed_quantity):
        cost = state.cost + quantize(abs(signed_quantity) * price)
        return PositionState(held + signed_quantity, cost, state.realized_pnl), ZERO

    closed = min(abs(held), abs(signed_quantity))
    released = state.cost if closed == abs(held) else quantize(state.cost * closed / abs(held))
    realized = (quantize(closed * price) - released) * _sign(held)
    rest = abs(signed_quantity) - closed
    if rest:
        # A flip: the rest opens the other way at the fill price.
        opened = PositionState(_sign(signed_quantity) * rest, quantize(rest * price))
        return PositionState(opened.quantity, opened.cost, state.realized_pnl + realized), realized
    remaining = PositionState(held + signed_quantity, state.cost - released)
    return (
        PositionState(remaining.quantity, remaining.cost, state.realized_pnl + realized),
        realized,
    )
