"""The paper venue's cost rules, read from the same settings, for the backtest engine.

These mirror `venue.matching.fee_rates` and `fee_quantum` (docs/venue.md), which this app may
not import: VENUE_FEES with a symbol's entry overriding "default" key by key, a missing rate
zero; fees rounded half up to the quote currency's minor unit. A market order is a taker.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings

from backtests.engine import Costs

# Minor units of the currencies the venue rounds fees to; any other currency keeps 8 places.
CURRENCY_PLACES = {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "JPY": 0}
DEFAULT_CURRENCY_PLACES = 8


def taker_rate(*, symbol: str, fees: dict[str, dict[str, Any]] | None = None) -> Decimal:
    """Return the taker fee rate of `symbol` from VENUE_FEES (symbol entry over "default")."""
    fees = settings.VENUE_FEES if fees is None else fees
    entry = {**fees.get("default", {}), **fees.get(symbol, {})}
    return Decimal(str(entry.get("taker", "0")))


def fee_quantum(currency: str) -> Decimal:
    """Return the smallest fee amount in `currency`."""
    return Decimal(1).scaleb(-CURRENCY_PLACES.get(currency, DEFAULT_CURRENCY_PLACES))


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
