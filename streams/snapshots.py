"""The current state a subscription starts from, per channel, in the REST representations."""

from collections.abc import Callable
from typing import Any

import orjson

from access.models import Account
from analytics.models import Signal
from deployments.enums import DeploymentStatus
from deployments.payloads import deployment_payload, signal_payload
from deployments.selectors import deployment_list
from kernel.api.renderers import json_dumps
from marketdata.errors import MarketDataUnavailable
from marketdata.models import Instrument
from marketdata.selectors import candle_list, instrument_get, orderbook_get, quote_get
from operations.enums import OperationStatus
from operations.payloads import operation_payload
from operations.selectors import operation_list
from orders.enums import WORKING_STATUSES
from orders.representations import fill_representation, order_representation
from orders.selectors import fill_list, order_list
from portfolio.representations import balance_representation
from portfolio.selectors import balance_list, position_open_list, position_view
from risk.selectors import risk_config_as_dict, risk_config_get, trading_state_view

# How many of the newest fills (and signals) a `fills` (`signals`) snapshot carries.
FILL_SNAPSHOT_LIMIT = 100
SIGNAL_SNAPSHOT_LIMIT = 100
# The order book depth a snapshot carries (what the feed publishes with each update).
BOOK_SNAPSHOT_DEPTH = 10


def _wire(value: Any) -> Any:
    """JSON-safe: Decimals as strings, datetimes as ISO strings, as REST renders them."""
    return orjson.loads(json_dumps(value))


def _orders(account_id: int) -> dict[str, Any]:
    orders = order_list(account_ids=[account_id]).filter(status__in=list(WORKING_STATUSES))
    return {"orders": [order_representation(order) for order in orders]}


def _fills(account_id: int) -> dict[str, Any]:
    fills = fill_list(account_ids=[account_id])[:FILL_SNAPSHOT_LIMIT]
    return {"fills": [fill_representation(fill) for fill in fills]}


def _positions(account_id: int) -> dict[str, Any]:
    return {"positions": [position_view(p) for p in position_open_list(account_id=account_id)]}


def _balances(account_id: int) -> dict[str, Any]:
    return {"balances": [balance_representation(b) for b in balance_list(account_id=account_id)]}


def _portfolio(account_id: int) -> dict[str, Any]:
    return {**_balances(account_id), **_positions(account_id)}


def _risk(account_id: int) -> dict[str, Any]:
    config = risk_config_get(account=Account.objects.get(pk=account_id))
    return {
        "risk": risk_config_as_dict(config=config),
        "trading": trading_state_view(account_id=account_id),
    }


def _operations(account_id: int) -> dict[str, Any]:
    running = operation_list(account_ids=[account_id]).filter(
        status__in=[OperationStatus.PENDING, OperationStatus.RUNNING]
    )
    return {"operations": [operation_payload(operation) for operation in running]}


def _deployments(account_id: int) -> dict[str, Any]:
    live = deployment_list(account_ids=[account_id]).filter(
        status__in=[DeploymentStatus.RUNNING, DeploymentStatus.PAUSED]
    )
    return {"deployments": [deployment_payload(deployment) for deployment in live]}


def _signals(account_id: int) -> dict[str, Any]:
    newest = Signal.objects.filter(account_id=account_id).order_by("-created_at", "-pk")
    return {"signals": [signal_payload(signal) for signal in newest[:SIGNAL_SNAPSHOT_LIMIT]]}


ACCOUNT_SNAPSHOTS: dict[str, Callable[[int], dict[str, Any]]] = {
    "orders": _orders,
    "fills": _fills,
    "positions": _positions,
    "balances": _balances,
    "portfolio": _portfolio,
    "risk": _risk,
    "operations": _operations,
    "deployments": _deployments,
    "signals": _signals,
}


def account_snapshot(*, channel: str, account_id: int) -> dict[str, Any]:
    """Return the `data` of an account channel's snapshot (working orders, open positions...)."""
    return _wire(ACCOUNT_SNAPSHOTS[channel](account_id))


def market_snapshot(*, channel: str, symbol: str, interval: str) -> dict[str, Any] | None:
    """Return the `data` of a market channel's snapshot, or None when there is none yet."""
    try:
        if channel == "quotes":
            return _wire(quote_get(symbol=symbol))
        if channel == "orderbook":
            return _wire(orderbook_get(symbol=symbol, depth=BOOK_SNAPSHOT_DEPTH))
        if channel == "trades":
            quote = quote_get(symbol=symbol)
            return _wire(
                {"symbol": symbol, "price": quote["last"], "timestamp": quote["timestamp"]}
            )
        if channel == "candles":
            rows = candle_list(instrument=instrument_get(symbol=symbol), interval=interval, limit=1)
            return _wire({"symbol": symbol, "interval": interval, **rows[-1]}) if rows else None
    except MarketDataUnavailable:
        return None
    raise ValueError(channel)


def symbols_known(symbols: list[str]) -> list[str]:
    """Return the symbols among `symbols` that name an instrument (SymbolNotFound otherwise)."""
    return list(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", flat=True))
