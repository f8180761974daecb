"""After-commit publishing of orders and fills, and the hand-off of orders to the venue."""

from typing import Any

from kernel.publish import account_publish, channel_send_on_commit
from orders.representations import fill_representation, order_representation

VENUE_CHANNEL = "venue.orders"


def order_publish(*, order, event: str, representation: dict[str, Any] | None = None) -> None:
    """On commit, publish `order.<event>` with the order to `account.<id>.orders`.

    `representation`: the order's representation, when the caller has just made it.
    """
    account_publish(
        account_id=order.account_id,
        stream="orders",
        event=f"order.{event}",
        data=representation if representation is not None else order_representation(order),
    )


def fill_publish(*, fill) -> None:
    """On commit, publish `fill.executed` to `account.<id>.fills`."""
    account_publish(
        account_id=fill.account_id,
        stream="fills",
        event="fill.executed",
        data=fill_representation(fill),
    )


def venue_notify(*, order_id: int, action: str) -> None:
    """On commit, hand the order to the venue: {"type": "venue.order", order_id, action}.

    A lost message only delays the order: the venue also sweeps the database for working orders.
    """
    channel_send_on_commit(
        channel=VENUE_CHANNEL,
        message={"type": "venue.order", "order_id": order_id, "action": action},
    )
