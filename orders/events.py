"""After-commit publishing: per-account event groups and the hand-off of orders to the venue."""

import asyncio
import logging
from decimal import Decimal
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from kernel.decimals import decimal_text
from trading_api.runtime import main_loop_get

logger = logging.getLogger(__name__)

VENUE_CHANNEL = "venue.orders"
ACCOUNT_STREAMS = ("orders", "fills", "positions", "balances")


def account_group(account_id: int, stream: str) -> str:
    """Return the channel-layer group of one account's `stream` (orders, fills, ...)."""
    return f"account.{account_id}.{stream}"


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    return value


def order_payload(order) -> dict[str, Any]:
    """Return an order as the REST API shows it (without fills and events), JSON-safe."""
    fields = {
        "id": order.pk,
        "client_order_id": order.client_order_id,
        "account": order.account_id,
        "symbol": order.instrument.symbol,
        "side": order.side,
        "order_type": order.order_type,
        "time_in_force": order.time_in_force,
        "quantity": order.quantity,
        "filled_quantity": order.filled_quantity,
        "remaining_quantity": order.quantity - order.filled_quantity,
        "limit_price": order.limit_price,
        "stop_price": order.stop_price,
        "expire_at": order.expire_at,
        "average_fill_price": order.average_fill_price,
        "status": order.status,
        "reject_code": order.reject_code,
        "reject_reason": order.reject_reason,
        "stop_loss": order.stop_loss,
        "strategy": order.strategy,
        "signal": order.signal,
        "version": order.version,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }
    return {name: _text(value) for name, value in fields.items()}


def fill_payload(fill) -> dict[str, Any]:
    """Return a fill as the REST API shows it, JSON-safe."""
    fields = {
        "id": fill.pk,
        "order_id": fill.order_id,
        "symbol": fill.instrument.symbol,
        "side": fill.side,
        "quantity": fill.quantity,
        "price": fill.price,
        "fee": fill.fee,
        "fee_currency": fill.fee_currency,
        "liquidity": fill.liquidity,
        "executed_at": fill.executed_at,
        "venue_exec_id": fill.venue_exec_id,
    }
    return {name: _text(value) for name, value in fields.items()}


def position_payload(position) -> dict[str, Any]:
    """Return the stored part of a position (no market price), JSON-safe."""
    fields = {
        "symbol": position.instrument.symbol,
        "side": "long" if position.quantity >= 0 else "short",
        "quantity": position.quantity,
        "average_entry_price": position.average_entry_price,
        "realized_pnl": position.realized_pnl,
        "opened_at": position.opened_at,
        "updated_at": position.updated_at,
    }
    return {name: _text(value) for name, value in fields.items()}


def balance_payload(balance) -> dict[str, Any]:
    """Return a balance as the REST API shows it, JSON-safe."""
    fields = {
        "currency": balance.currency,
        "total": balance.total,
        "available": balance.available,
        "locked": balance.locked,
    }
    return {name: _text(value) for name, value in fields.items()}


def _deliver(method: str, target: str, message: dict[str, Any]) -> None:
    """Send through the channel layer; a failure is logged, never raised to the caller."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        send = getattr(layer, method)
        loop = main_loop_get()
        if loop is not None:
            # The in-memory layer lives on the server's loop: hand the send to it, whatever
            # thread (request, engine worker) this runs on.
            future = asyncio.run_coroutine_threadsafe(send(target, message), loop)
            future.add_done_callback(_log_failure)
        else:
            async_to_sync(send)(target, message)
    except Exception:
        logger.exception("channel-layer %s to %s failed", method, target)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("channel-layer delivery failed: %r", future.exception())


def account_publish(*, account_id: int, stream: str, event: str, data: dict[str, Any]) -> None:
    """On commit, send `{"type": "account.event", stream, event, data}` to the account group."""
    message = {"type": "account.event", "stream": stream, "event": event, "data": data}
    group = account_group(account_id, stream)
    transaction.on_commit(lambda: _deliver("group_send", group, message))


def order_publish(*, order, event: str) -> None:
    """On commit, publish `order.<event>` with the order to `account.<id>.orders`."""
    account_publish(
        account_id=order.account_id,
        stream="orders",
        event=f"order.{event}",
        data=order_payload(order),
    )


def fill_publish(*, fill) -> None:
    """On commit, publish `fill.executed` to `account.<id>.fills`."""
    account_publish(
        account_id=fill.account_id, stream="fills", event="fill.executed", data=fill_payload(fill)
    )


def position_publish(*, position) -> None:
    """On commit, publish `position.changed` to `account.<id>.positions`."""
    account_publish(
        account_id=position.account_id,
        stream="positions",
        event="position.changed",
        data=position_payload(position),
    )


def balance_publish(*, balance) -> None:
    """On commit, publish `balance.changed` to `account.<id>.balances`."""
    account_publish(
        account_id=balance.account_id,
        stream="balances",
        event="balance.changed",
        data=balance_payload(balance),
    )


def venue_notify(*, order_id: int, action: str) -> None:
    """On commit, hand the order to the venue: {"type": "venue.order", order_id, action}.

    A lost message only delays the order: the venue also sweeps the database for working orders.
    """
    message = {"type": "venue.order", "order_id": order_id, "action": action}
    transaction.on_commit(lambda: _deliver("send", VENUE_CHANNEL, message))
