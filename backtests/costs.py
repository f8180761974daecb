"""The paper venue's cost rules for the backtest engine: the venue's own fee lookup and units.

A backtest's market orders are takers: the commission defaults to the symbol's taker rate from
`orders.pricing.fee_rates` (VENUE_FEES, a symbol's entry overriding "default" rate by rate), and
fees round half up to the quote currency's minor unit (`kernel.decimals.currency_places`).
"""

from decimal import Decimal

from django.conf import settings

from backtests.engine import Costs
from kernel.decimals import currency_places
from orders.pricing import fee_rates


def taker_rate(*, symbol: str) -> Decimal:
    """Return the taker fee rate the venue charges `symbol`."""
    return fee_rates(symbol=symbol).taker


def fee_quantum(currency: str) -> Decimal:
    """Return the smallest fee amount in `currency`."""
    return Decimal(1).scaleb(-currency_places(currency))


def backtest_costs(
    *, instrument, commission: Decimal | None = None, slippage_bps: Decimal | None = None
) -> Costs:
    """Return the costs of filling market orders on `instrument` as the paper venue would.

    `commission` (a rate) defaults to the symbol's taker rate, `slippage_bps` to
    VENUE_SLIPPAGE_BPS.
    """
    return Costs(
        commission_rate=taker_rate(symbol=instrument.symbol) if commission is None else commission,
        slippage_bps=(
            Decimal(str(settings.VENUE_SLIPPAGE_BPS)) if slippage_bps is None else slippage_bps
        ),
        tick_size=instrument.tick_size.normalize(),
        lot_size=instrument.lot_size.normalize(),
        fee_quantum=fee_quantum(instrument.currency),
    )
