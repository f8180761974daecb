"""Risk vocabularies: trading states, drawdown zones, override kinds and statuses."""

from django.db import models


class TradingStateValue(models.TextChoices):
    RUNNING = "running"
    STOPPED = "stopped"
    HALTED = "halted"
    REDUCE_ONLY = "reduce_only"


class DrawdownZone(models.TextChoices):
    NORMAL = "normal"
    CAUTION = "caution"
    DANGER = "danger"
    HALT = "halt"


class OverrideKind(models.TextChoices):
    RISK_LEVEL = "risk_level"
    LIMIT = "limit"
    TRADING_STATE = "trading_state"


class OverrideStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class RiskRule(models.TextChoices):
    """Names of the pre-trade rules, as reported in a violation's `rule`."""

    INSTRUMENT_TRADING = "instrument_trading"
    ALLOWED_SYMBOLS = "allowed_symbols"
    BLOCKED_SYMBOLS = "blocked_symbols"
    REFERENCE_PRICE = "reference_price"
    MAX_ORDER_QUANTITY = "max_order_quantity"
    MAX_ORDER_NOTIONAL = "max_order_notional"
    MAX_POSITION_NOTIONAL = "max_position_notional"
    MAX_GROSS_EXPOSURE = "max_gross_exposure"
    MAX_OPEN_ORDERS = "max_open_orders"
    PRICE_BAND_PCT = "price_band_pct"
    RISK_PER_TRADE_PCT = "risk_per_trade_pct"
    MAX_ORDERS_PER_SECOND = "max_orders_per_second"


# Limits an override of kind `limit` may replace (the numeric ones).
OVERRIDABLE_LIMITS = frozenset(
    {
        "max_order_quantity",
        "max_order_notional",
        "max_position_notional",
        "max_gross_exposure",
        "max_open_orders",
        "price_band_pct",
        "daily_loss_limit",
        "max_drawdown_pct",
        "risk_per_trade_pct",
        "max_orders_per_second",
    }
)
