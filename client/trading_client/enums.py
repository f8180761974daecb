"""Values the API takes as input. Each is a `str`, so a plain string works wherever they do.

Models keep the server's values as plain `str` (a newer server may add a value); compare them
with these members or with literals: `order.status == OrderStatus.FILLED`.
"""

from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    GTC = "gtc"
    DAY = "day"
    IOC = "ioc"
    FOK = "fok"
    GTD = "gtd"


class OrderStatus(StrEnum):
    NEW = "new"
    PENDING = "pending"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Interval(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    D1 = "1d"


class Scope(StrEnum):
    READ = "read"
    TRADE = "trade"
    CONTROL = "control"
    ADMIN = "admin"


class KeyScheme(StrEnum):
    SIMPLE = "simple"
    HMAC = "hmac"
    ED25519 = "ed25519"


class TradingStateName(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    HALTED = "halted"
    REDUCE_ONLY = "reduce_only"


class OverrideKind(StrEnum):
    LIMIT = "limit"
    RISK_LEVEL = "risk_level"
    TRADING_STATE = "trading_state"


class OverrideStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class SignalDirection(StrEnum):
    LONG = "long"
    SHORT = "short"
    FLAT = "flat"


class SignalDecision(StrEnum):
    TAKEN = "taken"
    SKIPPED = "skipped"
    REJECTED = "rejected"
