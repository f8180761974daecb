"""Pre-trade risk: the trading-state gate and the rules, one small function each, for one order.

The orders app calls `trading_gate` and `pretrade_assess` (the one entry point) with an
`OrderIntent`: the order, and what the orders app knows of the account's other orders and of
the cash the order would lock. The rules read the risk configuration, the positions and the
quote themselves; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.db import models
from django.db.models import F, Q, QuerySet

from kernel.db.expressions import ExactAbs, ExactMul, ExactSum
from kernel.db.prepared import Markers, Prepared
from kernel.decimals import decimal_text
from marketdata.enums import InstrumentStatus
from marketdata.keys import quote_cache_key
from marketdata.models import Instrument
from portfolio.models import Position
from risk.enums import RiskRule, TradingStateValue
from risk.errors import TradingReduceOnly, TradingStopped
from risk.models import RiskOverride
from risk.selectors import (
    account_equity,
    overrides_in_force,
    risk_level_effective,
    risk_limits_effective,
    trading_state_effective,
)

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class OrderIntent:
    """An order as the risk rules see it: new, or the new terms of a modified order."""

    account_id: int
    instrument: Instrument
    side: str
    order_type: str
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None
    stop_loss: Decimal | None
    reference_price: Decimal | None
    # A modified order: its current row is left out of every count below.
    exclude_order_id: int | None = None
    # A close (the kill switch, `DELETE /positions`): it only reduces risk, so it passes a
    # stopped or halted gate and no rule meant for risk-increasing orders refuses it.
    is_close: bool = False
    # The account's other orders, from the orders app: working (or new) ones, those created in
    # the last second, and the quantity still to fill on each side in this instrument.
    open_orders: int = 0
    recent_orders: int = 0
    working_quantity: dict[str, Decimal] = field(default_factory=dict)
    # The cash the order would lock, and what is available for it (None: not checked).
    lock_amount: Decimal = ZERO
    available: Decimal | None = None
    currency: str = ""

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity if self.side == "buy" else -self.quantity


@dataclass(frozen=True)
class Violation:
    rule: str
    limit: str
    value: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "limit": self.limit,
            "value": self.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class RiskLimits:
    """The limits in force for an account (configuration with active overrides applied)."""

    values: dict[str, Any]
    overrides: list[RiskOverride]

    @property
    def market_protection_pct(self) -> Decimal | None:
        """How far past its reference a market or stop order may fill (None: no band)."""
        value = self.values.get("market_protection_pct")
        return None if value is None else Decimal(value)


def risk_limits_read(*, account_id: int) -> RiskLimits:
    """Read the account's limits in force once (two queries), for `pretrade_assess`."""
    overrides = overrides_in_force(account_id=account_id)
    return RiskLimits(
        values=risk_limits_effective(account_id=account_id, overrides=overrides),
        overrides=overrides,
    )


@dataclass(frozen=True)
class RiskAssessment:
    """What the risk rules make of an order: the rules it breaks, and the limits in force."""

    violations: list[Violation]
    limits: RiskLimits


# --- the gate -------------------------------------------------------------------------------


def _position_quantity(intent: OrderIntent) -> Decimal:
    return (
        Position.objects.filter(account_id=intent.account_id, instrument=intent.instrument)
        .values_list("quantity", flat=True)
        .first()
    ) or ZERO


def reduces_position(intent: OrderIntent) -> bool:
    """Whether the order shrinks the position towards zero without crossing it, counting the
    account's other working orders on the reducing side (so several cannot add up to a flip)."""
    current = _position_quantity(intent)
    reducing_side = "sell" if current > 0 else "buy"
    if current == 0 or intent.side != reducing_side:
        return False
    reserved = intent.working_quantity.get(reducing_side, ZERO)
    return reserved + intent.quantity <= abs(current)


def trading_gate(*, intent: OrderIntent, limits: RiskLimits | None = None) -> None:
    """Return None when the account's trading state lets this order in.

    Raises TradingStopped (409 TRADING_STOPPED) when stopped or halted, TradingReduceOnly
    (409 TRADING_REDUCE_ONLY) in reduce-only unless the order reduces the current position. A
    close that reduces the position passes in every state. `limits`, when the caller has read
    them, supply the active overrides (one query fewer).
    """
    state = trading_state_effective(
        account_id=intent.account_id, overrides=None if limits is None else limits.overrides
    )
    if state == TradingStateValue.RUNNING:
        return
    if intent.is_close and reduces_position(intent):
        return
    if state in (TradingStateValue.STOPPED, TradingStateValue.HALTED):
        raise TradingStopped(
            f"Trading is {state} for this account", details={"trading_state": str(state)}
        )
    if state == TradingStateValue.REDUCE_ONLY and not reduces_position(intent):
        raise TradingReduceOnly(
            "The account is reduce-only and this order would not reduce its position",
            details={"trading_state": str(state)},
        )


# --- the facts the rules share ------------------------------------------------------------


def _exposure_query(p: Markers) -> QuerySet:
    this = Q(instrument_id=p.instrument_id)
    return (
        Position.objects.filter(account_id=p.account_id)
        .values("account_id")
        .annotate(
            position_quantity=ExactSum("quantity", filter=this),
            gross_others=ExactSum(
                ExactMul(ExactAbs(F("quantity")), F("average_entry_price")), filter=~this
            ),
            positions_at_cost=ExactSum(ExactMul(F("quantity"), F("average_entry_price"))),
        )
        .values_list("position_quantity", "gross_others", "positions_at_cost")
    )


# One group for the account's positions (no row when it has none).
_EXPOSURE = Prepared(
    _exposure_query, account_id=models.BigIntegerField(), instrument_id=models.BigIntegerField()
)


@dataclass
class Facts:
    """What the rules read, each at most once per order."""

    intent: OrderIntent
    limits: RiskLimits

    @cached_property
    def reference(self) -> Decimal | None:
        """The quote side the order would take (ask to buy, bid to sell), else None.

        The live quote comes first: callers may fill `reference_price` with the order's own
        limit or stop price, which is no reference for a price band. Without a quote,
        `reference_price` is used only when it is not the order's own price.
        """
        intent = self.intent
        quote = cache.get(quote_cache_key(intent.instrument.symbol))
        if quote is not None:
            side_price = quote.get("ask" if intent.side == "buy" else "bid") or quote.get("last")
            if side_price not in (None, ""):
                return Decimal(str(side_price))
        if intent.reference_price is not None and intent.reference_price not in (
            intent.limit_price,
            intent.stop_price,
        ):
            return intent.reference_price
        return None

    @cached_property
    def price(self) -> Decimal | None:
        """What the order is valued at: its limit, else the reference, else its stop."""
        intent = self.intent
        if intent.limit_price is not None:
            return intent.limit_price
        return self.reference if self.reference is not None else intent.stop_price

    @cached_property
    def exposure(self) -> dict[str, Decimal]:
        """In one query: this instrument's position, the gross notional (at cost) of every
        other position, and the signed value of all positions at cost (for equity)."""
        rows = _EXPOSURE.rows(
            account_id=self.intent.account_id, instrument_id=self.intent.instrument.pk
        )
        values = rows[0] if rows else (None, None, None)
        return {
            key: ZERO if value is None else value
            for key, value in zip(
                ("position_quantity", "gross_others", "positions_at_cost"), values, strict=True
            )
        }

    @cached_property
    def position_notional(self) -> Decimal:
        after = self.exposure["position_quantity"] + self.intent.signed_quantity
        return abs(after) * (self.price or ZERO)

    def limit(self, name: str) -> Any:
        return self.limits.values.get(name)


Rule = Callable[[Facts], Violation | None]


def _past_limit(facts: Facts, rule: str, value: Decimal, what: str) -> Violation | None:
    """A violation when `value` is past the rule's limit; at the limit is accepted."""
    limit = facts.limit(rule)
    if limit is None or value <= limit:
        return None
    return Violation(
        rule=rule,
        limit=decimal_text(limit),
        value=decimal_text(value),
        message=f"{what} {decimal_text(value)} exceeds the limit {decimal_text(limit)}",
    )


# --- the rules ------------------------------------------------------------------------------


def rule_instrument_trading(facts: Facts) -> Violation | None:
    instrument = facts.intent.instrument
    if instrument.status == InstrumentStatus.TRADING:
        return None
    return Violation(
        rule=RiskRule.INSTRUMENT_TRADING,
        limit=InstrumentStatus.TRADING,
        value=instrument.status,
        message=f"{instrument.symbol} is {instrument.status}",
    )


def rule_allowed_symbols(facts: Facts) -> Violation | None:
    allowed = facts.limit("allowed_symbols") or []
    symbol = facts.intent.instrument.symbol
    if not allowed or symbol in allowed:
        return None
    return Violation(
        rule=RiskRule.ALLOWED_SYMBOLS,
        limit=",".join(allowed),
        value=symbol,
        message=f"{symbol} is not among the allowed symbols",
    )


def rule_blocked_symbols(facts: Facts) -> Violation | None:
    blocked = facts.limit("blocked_symbols") or []
    symbol = facts.intent.instrument.symbol
    if symbol not in blocked:
        return None
    return Violation(
        rule=RiskRule.BLOCKED_SYMBOLS,
        limit=",".join(blocked),
        value=symbol,
        message=f"{symbol} is blocked",
    )


def rule_max_order_quantity(facts: Facts) -> Violation | None:
    return _past_limit(facts, RiskRule.MAX_ORDER_QUANTITY, facts.intent.quantity, "Order quantity")


_VALUED_BY = ("max_order_notional", "max_position_notional", "max_gross_exposure")


def rule_reference_price(facts: Facts) -> Violation | None:
    """An order that a notional or risk rule must value, and that nothing can value."""
    needs_price = any(facts.limit(name) is not None for name in _VALUED_BY) or (
        facts.limit("risk_per_trade_pct") is not None
    )
    if facts.price is not None or not needs_price:
        return None
    return Violation(
        rule=RiskRule.REFERENCE_PRICE,
        limit="quote",
        value="none",
        message="No price to value the order: give a limit price or wait for a "
        f"{facts.intent.instrument.symbol} quote",
    )


def rule_price_band_pct(facts: Facts) -> Violation | None:
    band = facts.limit("price_band_pct")
    intent = facts.intent
    own = intent.limit_price if intent.limit_price is not None else intent.stop_price
    reference = facts.reference
    if band is None or own is None or not reference:
        return None
    deviation = abs(own - reference) / reference * HUNDRED
    if deviation <= band:
        return None
    shown = deviation.quantize(Decimal("0.000001"))
    return Violation(
        rule=RiskRule.PRICE_BAND_PCT,
        limit=decimal_text(band),
        value=decimal_text(shown),
        message=f"Price {decimal_text(own)} is {decimal_text(shown)}% from the reference "
        f"{decimal_text(reference)} (band {decimal_text(band)}%)",
    )


def rule_max_order_notional(facts: Facts) -> Violation | None:
    if facts.price is None:
        return None
    notional = facts.intent.quantity * facts.price
    return _past_limit(facts, RiskRule.MAX_ORDER_NOTIONAL, notional, "Order notional")


def rule_max_position_notional(facts: Facts) -> Violation | None:
    if facts.price is None or facts.limit(RiskRule.MAX_POSITION_NOTIONAL) is None:
        return None
    return _past_limit(
        facts,
        RiskRule.MAX_POSITION_NOTIONAL,
        facts.position_notional,
        "Position notional after the order",
    )


def rule_max_gross_exposure(facts: Facts) -> Violation | None:
    if facts.price is None or facts.limit(RiskRule.MAX_GROSS_EXPOSURE) is None:
        return None
    gross = facts.exposure["gross_others"] + facts.position_notional
    return _past_limit(facts, RiskRule.MAX_GROSS_EXPOSURE, gross, "Gross exposure after the order")


def rule_max_open_orders(facts: Facts) -> Violation | None:
    count = Decimal(facts.intent.open_orders + 1)
    return _past_limit(facts, RiskRule.MAX_OPEN_ORDERS, count, "Open orders with this one")


def rule_max_orders_per_second(facts: Facts) -> Violation | None:
    count = Decimal(facts.intent.recent_orders + 1)
    return _past_limit(
        facts, RiskRule.MAX_ORDERS_PER_SECOND, count, "Orders in the last second with this one"
    )


def rule_risk_per_trade_pct(facts: Facts) -> Violation | None:
    """Risk to the stop loss within a share of equity, scaled by the risk level."""
    intent, risk_pct, price = facts.intent, facts.limit("risk_per_trade_pct"), facts.price
    if risk_pct is None or intent.stop_loss is None or price is None:
        return None
    risk = abs(price - intent.stop_loss) * intent.quantity
    multiplier = risk_level_effective(
        account_id=intent.account_id, overrides=facts.limits.overrides
    )
    equity = account_equity(
        account_id=intent.account_id, positions_at_cost=facts.exposure["positions_at_cost"]
    )
    allowed_risk = equity * risk_pct / HUNDRED * multiplier
    if risk <= allowed_risk:
        return None
    return Violation(
        rule=RiskRule.RISK_PER_TRADE_PCT,
        limit=decimal_text(allowed_risk),
        value=decimal_text(risk),
        message=f"Risk to the stop loss {decimal_text(risk)} exceeds {decimal_text(risk_pct)}% "
        f"of equity x risk level {decimal_text(multiplier)} = {decimal_text(allowed_risk)}",
    )


def rule_buying_power(facts: Facts) -> Violation | None:
    """The cash the order locks must be available (no margin)."""
    intent = facts.intent
    if intent.available is None or intent.lock_amount <= intent.available:
        return None
    currency = intent.currency
    return Violation(
        rule="buying_power",
        limit=decimal_text(intent.available),
        value=decimal_text(intent.lock_amount),
        message=f"The order needs {decimal_text(intent.lock_amount)} {currency} available; "
        f"{decimal_text(intent.available)} {currency} is.",
    )


# Every rule, in the order violations are reported.
RULES: tuple[Rule, ...] = (
    rule_instrument_trading,
    rule_allowed_symbols,
    rule_blocked_symbols,
    rule_max_order_quantity,
    rule_reference_price,
    rule_price_band_pct,
    rule_max_order_notional,
    rule_max_position_notional,
    rule_max_gross_exposure,
    rule_max_open_orders,
    rule_max_orders_per_second,
    rule_risk_per_trade_pct,
    rule_buying_power,
)
# A close only reduces risk: it is held to the instrument trading and to the cash it locks.
CLOSE_RULES: tuple[Rule, ...] = (rule_instrument_trading, rule_buying_power)


def pretrade_assess(*, intent: OrderIntent, limits: RiskLimits | None = None) -> RiskAssessment:
    """Return every rule this order breaks and the limits in force; nothing is written.

    `limits`: the account's limits from `risk_limits_read`, when the caller has read them.
    """
    limits = limits if limits is not None else risk_limits_read(account_id=intent.account_id)
    facts = Facts(intent=intent, limits=limits)
    rules = CLOSE_RULES if intent.is_close else RULES
    violations = [violation for rule in rules if (violation := rule(facts)) is not None]
    return RiskAssessment(violations=violations, limits=limits)
