"""The pre-trade hook: the trading-state gate and every risk rule, evaluated for one order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from kernel.db.expressions import ExactAbs, ExactMul, ExactSub, ExactSum
from kernel.decimals import decimal_text
from marketdata.enums import InstrumentStatus
from marketdata.models import Instrument
from risk.enums import RiskRule, TradingStateValue
from risk.errors import TradingReduceOnly, TradingStopped

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
    # A modified order: its current row is left out of open-order counts.
    exclude_order_id: int | None = None
    # A close (the kill switch, `DELETE /positions`): it only reduces risk, so it passes a
    # stopped or halted gate and no rule meant for risk-increasing orders refuses it.
    is_close: bool = False


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


def _signed(intent: OrderIntent) -> Decimal:
    return intent.quantity if intent.side == "buy" else -intent.quantity


def trading_gate(*, intent: OrderIntent) -> None:
    """Return None when the account's trading state lets this order in.

    Raises TradingStopped (409 TRADING_STOPPED) when stopped or halted, TradingReduceOnly
    (409 TRADING_REDUCE_ONLY) in reduce-only unless the order reduces the current position. A
    close that reduces the position passes in every state.
    """
    from risk.selectors import trading_state_effective

    state = trading_state_effective(account_id=intent.account_id)
    if state == TradingStateValue.RUNNING:
        return
    if intent.is_close and _reduces_position(intent):
        return
    if state in (TradingStateValue.STOPPED, TradingStateValue.HALTED):
        raise TradingStopped(
            f"Trading is {state} for this account", details={"trading_state": str(state)}
        )
    if state == TradingStateValue.REDUCE_ONLY and not _reduces_position(intent):
        raise TradingReduceOnly(
            "The account is reduce-only and this order would not reduce its position",
            details={"trading_state": str(state)},
        )


def _reduces_position(intent: OrderIntent, *, count_working: bool = True) -> bool:
    """Whether the order shrinks the position towards zero without crossing it.

    With `count_working`, the account's other working orders on the reducing side count too, so
    several reduce-only orders cannot add up to a flip.
    """
    from orders.enums import WORKING_STATUSES, OrderStatus
    from orders.models import Order
    from portfolio.models import Position

    current = (
        Position.objects.filter(account_id=intent.account_id, instrument=intent.instrument)
        .values_list("quantity", flat=True)
        .first()
    ) or ZERO
    reducing_side = "sell" if current > 0 else "buy"
    if current == 0 or intent.side != reducing_side:
        return False
    reserved = ZERO
    if count_working:
        working = Order.objects.filter(
            account_id=intent.account_id,
            instrument=intent.instrument,
            side=reducing_side,
            status__in=[*WORKING_STATUSES, OrderStatus.NEW],
        )
        if intent.exclude_order_id is not None:
            working = working.exclude(pk=intent.exclude_order_id)
        reserved = (
            working.aggregate(remaining=ExactSum(ExactSub(F("quantity"), F("filled_quantity"))))[
                "remaining"
            ]
            or ZERO
        )
    return reserved + intent.quantity <= abs(current)


def reference_price_for(*, intent: OrderIntent) -> Decimal | None:
    """The quote side the order would take (ask to buy, bid to sell), else None.

    The live quote comes first: callers may fill `reference_price` with the order's own limit
    or stop price, which is no reference for a price band. Without a quote, `reference_price`
    is used only when it is not the order's own price.
    """
    from django.core.cache import cache

    from marketdata.keys import quote_cache_key

    # The cached quote directly: the instrument is at hand, and no quote is not an error here.
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


@dataclass(frozen=True)
class RiskAssessment:
    """What the risk rules make of an order: the rules it breaks, and the limits in force."""

    violations: list[Violation]
    limits: dict[str, Any]

    @property
    def market_protection_pct(self) -> Decimal | None:
        """How far past its reference a market or stop order may fill (None: no band)."""
        value = self.limits.get("market_protection_pct")
        return None if value is None else Decimal(value)


def pretrade_check(*, intent: OrderIntent, now: datetime | None = None) -> list[Violation]:
    """Return every rule this order breaks (an empty list when it passes); nothing is written."""
    return pretrade_assess(intent=intent, now=now).violations


def pretrade_assess(*, intent: OrderIntent, now: datetime | None = None) -> RiskAssessment:
    """Return the rules this order breaks and the limits in force; nothing is written.

    `now` (default: the clock) anchors the one-second order-rate window. A close is held only
    to the instrument being tradable.
    """
    from risk.selectors import override_active_list, risk_limits_effective

    # Read once: the limits, the risk level and nothing else here need the overrides again.
    overrides = list(override_active_list(account_id=intent.account_id))
    limits = risk_limits_effective(account_id=intent.account_id, overrides=overrides)
    violations: list[Violation] = []
    symbol = intent.instrument.symbol

    if intent.instrument.status != InstrumentStatus.TRADING:
        violations.append(
            Violation(
                rule=RiskRule.INSTRUMENT_TRADING,
                limit=InstrumentStatus.TRADING,
                value=intent.instrument.status,
                message=f"{symbol} is {intent.instrument.status}",
            )
        )
    if intent.is_close:
        return RiskAssessment(violations=violations, limits=limits)
    allowed = limits.get("allowed_symbols") or []
    if allowed and symbol not in allowed:
        violations.append(
            Violation(
                rule=RiskRule.ALLOWED_SYMBOLS,
                limit=",".join(allowed),
                value=symbol,
                message=f"{symbol} is not among the allowed symbols",
            )
        )
    if symbol in (limits.get("blocked_symbols") or []):
        violations.append(
            Violation(
                rule=RiskRule.BLOCKED_SYMBOLS,
                limit=",".join(limits["blocked_symbols"]),
                value=symbol,
                message=f"{symbol} is blocked",
            )
        )

    _check(violations, RiskRule.MAX_ORDER_QUANTITY, limits, intent.quantity, "Order quantity")

    reference = reference_price_for(intent=intent)
    price = intent.limit_price if intent.limit_price is not None else reference
    if price is None and intent.stop_price is not None:
        price = intent.stop_price
    needs_price = any(
        limits.get(name) is not None
        for name in (
            "max_order_notional",
            "max_position_notional",
            "max_gross_exposure",
            "risk_per_trade_pct",
        )
    )
    if price is None and needs_price:
        violations.append(
            Violation(
                rule=RiskRule.REFERENCE_PRICE,
                limit="quote",
                value="none",
                message=f"No price to value the order: give a limit price or wait for a "
                f"{symbol} quote",
            )
        )

    band = limits.get("price_band_pct")
    band_price = intent.limit_price if intent.limit_price is not None else intent.stop_price
    if band is not None and band_price is not None and reference:
        deviation = abs(band_price - reference) / reference * HUNDRED
        if deviation > band:
            shown = deviation.quantize(Decimal("0.000001"))
            violations.append(
                Violation(
                    rule=RiskRule.PRICE_BAND_PCT,
                    limit=decimal_text(band),
                    value=decimal_text(shown),
                    message=f"Price {decimal_text(band_price)} is {decimal_text(shown)}% from "
                    f"the reference {decimal_text(reference)} (band {decimal_text(band)}%)",
                )
            )

    if price is not None:
        _check(
            violations,
            RiskRule.MAX_ORDER_NOTIONAL,
            limits,
            intent.quantity * price,
            "Order notional",
        )

    risk_pct = limits.get("risk_per_trade_pct")
    measures_risk = risk_pct is not None and intent.stop_loss is not None and price is not None
    exposure = None
    if measures_risk or any(
        limits.get(name) is not None for name in ("max_position_notional", "max_gross_exposure")
    ):
        exposure = _exposure(intent)
        if price is not None:
            after = exposure["position_quantity"] + _signed(intent)
            position_notional = abs(after) * price
            _check(
                violations,
                RiskRule.MAX_POSITION_NOTIONAL,
                limits,
                position_notional,
                "Position notional after the order",
            )
            gross = exposure["gross_others"] + position_notional
            _check(
                violations,
                RiskRule.MAX_GROSS_EXPOSURE,
                limits,
                gross,
                "Gross exposure after the order",
            )

    if limits.get("max_open_orders") is not None or limits.get("max_orders_per_second") is not None:
        counts = _order_counts(intent, now=now or timezone.now())
        _check(
            violations,
            RiskRule.MAX_OPEN_ORDERS,
            limits,
            Decimal(counts["open_orders"] + 1),
            "Open orders with this one",
        )
        _check(
            violations,
            RiskRule.MAX_ORDERS_PER_SECOND,
            limits,
            Decimal(counts["recent_orders"] + 1),
            "Orders in the last second with this one",
        )

    if measures_risk and exposure is not None:
        from risk.selectors import account_equity, risk_level_effective

        risk = abs(price - intent.stop_loss) * intent.quantity
        multiplier = risk_level_effective(account_id=intent.account_id, overrides=overrides)
        equity = account_equity(
            account_id=intent.account_id, positions_at_cost=exposure["positions_at_cost"]
        )
        allowed_risk = equity * risk_pct / HUNDRED * multiplier
        if risk > allowed_risk:
            violations.append(
                Violation(
                    rule=RiskRule.RISK_PER_TRADE_PCT,
                    limit=decimal_text(allowed_risk),
                    value=decimal_text(risk),
                    message=f"Risk to the stop loss {decimal_text(risk)} exceeds "
                    f"{decimal_text(risk_pct)}% of equity x risk level "
                    f"{decimal_text(multiplier)} = {decimal_text(allowed_risk)}",
                )
            )
    return RiskAssessment(violations=violations, limits=limits)


def _check(
    violations: list[Violation], rule: str, limits: dict[str, Any], value: Decimal, what: str
) -> None:
    """Append a violation when `value` is past the rule's limit; at the limit is accepted."""
    limit = limits.get(str(rule))
    if limit is None or value <= limit:
        return
    violations.append(
        Violation(
            rule=str(rule),
            limit=decimal_text(limit),
            value=decimal_text(value),
            message=f"{what} {decimal_text(value)} exceeds the limit {decimal_text(limit)}",
        )
    )


def _exposure(intent: OrderIntent) -> dict[str, Decimal]:
    """In one query: this instrument's position, the gross notional (at cost) of every other
    position, and the signed value of all positions at cost (for equity)."""
    from portfolio.models import Position

    this = Q(instrument=intent.instrument)
    row = Position.objects.filter(account_id=intent.account_id).aggregate(
        position_quantity=ExactSum("quantity", filter=this),
        gross_others=ExactSum(
            ExactMul(ExactAbs(F("quantity")), F("average_entry_price")), filter=~this
        ),
        positions_at_cost=ExactSum(ExactMul(F("quantity"), F("average_entry_price"))),
    )
    return {key: ZERO if value is None else value for key, value in row.items()}


def _order_counts(intent: OrderIntent, *, now: datetime) -> dict[str, int]:
    """Working orders of the account and orders created in the last second, in one query."""
    from orders.enums import WORKING_STATUSES, OrderStatus
    from orders.models import Order

    since = now - timedelta(seconds=1)
    open_statuses = [*WORKING_STATUSES, OrderStatus.NEW]
    queryset = Order.objects.filter(account_id=intent.account_id)
    if intent.exclude_order_id is not None:
        queryset = queryset.exclude(pk=intent.exclude_order_id)
    return queryset.aggregate(
        open_orders=Count("id", filter=Q(status__in=open_statuses)),
        recent_orders=Count("id", filter=Q(created_at__gt=since)),
    )
