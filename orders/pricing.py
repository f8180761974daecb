"""What an order costs and reserves: fee rates and fees, lock price and lock, protection band.

One implementation for order entry, modification, fill booking and the paper venue, so the fee
an order reserves is computed from the same rates as the fee it is charged.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from kernel.decimals import money_round, quantize, step_ceil, step_floor
from orders.enums import OrderSide, OrderType

ZERO = Decimal(0)
HUNDRED = Decimal(100)
BPS = Decimal(10_000)
MAKER = "maker"
TAKER = "taker"
PRICED_BY_LIMIT = (OrderType.LIMIT, OrderType.STOP_LIMIT)


@dataclass(frozen=True)
class FeeRates:
    maker: Decimal
    taker: Decimal

    @property
    def reserve(self) -> Decimal:
        """The rate a lock reserves: the higher one, since the order may end up either."""
        return max(self.maker, self.taker)


def fee_rates(*, symbol: str) -> FeeRates:
    """Return the maker and taker rates of `symbol` from VENUE_FEES.

    The symbol's entry overrides "default" rate by rate; a rate neither gives is zero.
    """
    fees = settings.VENUE_FEES or {}
    entry = {**fees.get("default", {}), **fees.get(symbol, {})}
    return FeeRates(
        maker=Decimal(str(entry.get(MAKER, "0"))), taker=Decimal(str(entry.get(TAKER, "0")))
    )


def fee_amount(*, quantity: Decimal, price: Decimal, rate: Decimal, currency: str) -> Decimal:
    """Return the fee of a fill: quantity x price x rate, half-up to the currency's minor unit."""
    return money_round(quantity * price * rate, currency=currency, rounding=ROUND_HALF_UP)


def fee_charged(
    *, symbol: str, currency: str, quantity: Decimal, price: Decimal, liquidity: str
) -> Decimal:
    """Return the fee the venue charges `symbol`'s fill of `liquidity` (maker or taker)."""
    rates = fee_rates(symbol=symbol)
    rate = rates.maker if liquidity == MAKER else rates.taker
    return fee_amount(quantity=quantity, price=price, rate=rate, currency=currency)


def order_lock(*, side: str, quantity: Decimal, lock_price: Decimal | None, symbol: str) -> Decimal:
    """Return the cash a working order reserves for `quantity` still to fill.

    A buy reserves its notional at `lock_price` plus the fee at the higher rate:
    q(q(quantity x lock_price) x (1 + rate)). A sell reserves nothing (its proceeds arrive with
    its fills), and so does an order without a lock price.
    """
    if side != OrderSide.BUY or lock_price is None or quantity <= 0:
        return ZERO
    notional = quantize(quantity * lock_price)
    return quantize(notional * (1 + fee_rates(symbol=symbol).reserve))


@dataclass(frozen=True)
class OrderTerms:
    """The prices an order is held to: what its lock is computed at, and how far it may fill."""

    lock_price: Decimal | None
    protection_price: Decimal | None


def _beyond(price: Decimal, *, side: str, pct: Decimal, tick: Decimal) -> Decimal:
    """`pct` percent past `price` against the trader, on the tick (up to buy, down to sell)."""
    if side == OrderSide.BUY:
        return step_ceil(price * (1 + pct / HUNDRED), tick)
    return max(step_floor(price * (1 - pct / HUNDRED), tick), tick)


def order_terms(
    *,
    side: str,
    order_type: str,
    limit_price: Decimal | None,
    reference_price: Decimal,
    tick_size: Decimal,
    protection_pct: Decimal | None,
) -> OrderTerms:
    """Return the lock price and the protection price of an order.

    Limit and stop-limit orders are held to their limit. Market orders (reference: the quote at
    entry) and stops (reference: the stop price) are held to `protection_pct` percent beyond the
    reference: they lock cash at that price and the venue never fills them past it. Without a
    band (`protection_pct` None) they lock at ORDER_MARKET_LOCK_BUFFER_BPS beyond the reference
    and may fill at any price, within what the account can pay.
    """
    if order_type in PRICED_BY_LIMIT:
        return OrderTerms(
            lock_price=limit_price if side == OrderSide.BUY else None, protection_price=None
        )
    if protection_pct is None:
        buffer = Decimal(str(settings.ORDER_MARKET_LOCK_BUFFER_BPS)) / BPS * HUNDRED
        lock = _beyond(reference_price, side=side, pct=buffer, tick=tick_size)
        return OrderTerms(lock_price=lock if side == OrderSide.BUY else None, protection_price=None)
    protection = _beyond(reference_price, side=side, pct=protection_pct, tick=tick_size)
    return OrderTerms(
        lock_price=protection if side == OrderSide.BUY else None, protection_price=protection
    )


def price_within_terms(*, side: str, price: Decimal, limit: Decimal | None) -> bool:
    """Whether `price` is at `limit` or better for `side` (no limit: any price)."""
    if limit is None:
        return True
    return price <= limit if side == OrderSide.BUY else price >= limit
