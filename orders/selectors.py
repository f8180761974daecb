"""Order reads: working orders for the venue, scoped lists and lookups for the API."""

from datetime import datetime

from django.db.models import QuerySet

from orders.enums import WORKING_STATUSES
from orders.errors import OrderNotFound
from orders.models import Fill, Order


def order_working_list(*, symbols: list[str] | None = None) -> list[Order]:
    """Return orders in a working status (oldest first), with `instrument` selected."""
    orders = Order.objects.filter(status__in=list(WORKING_STATUSES)).select_related("instrument")
    if symbols is not None:
        orders = orders.filter(instrument__symbol__in=symbols)
    return list(orders.order_by("id"))


def order_list(
    *,
    account_ids,
    status: str | None = None,
    symbol: str | None = None,
    side: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[Order]:
    """Return the orders of `account_ids` matching the filters, newest first."""
    orders = Order.objects.filter(account_id__in=account_ids).select_related("instrument")
    if status:
        orders = orders.filter(status=status)
    if symbol:
        orders = orders.filter(instrument__symbol=symbol.upper())
    if side:
        orders = orders.filter(side=side)
    if created_from:
        orders = orders.filter(created_at__gte=created_from)
    if created_to:
        orders = orders.filter(created_at__lt=created_to)
    return orders


def order_get(*, order_id, account_ids) -> Order:
    """Return one order of `account_ids`; raises OrderNotFound (404) for any other id."""
    try:
        return Order.objects.select_related("instrument").get(
            pk=int(order_id), account_id__in=account_ids
        )
    except (Order.DoesNotExist, ValueError, TypeError):
        raise OrderNotFound(f"Order {order_id} not found", details={"order_id": order_id}) from None


def order_get_by_client_id(*, client_order_id: str, account_ids) -> Order:
    """Return the order with this client id in `account_ids`; raises OrderNotFound (404)."""
    order = (
        Order.objects.select_related("instrument")
        .filter(client_order_id=client_order_id, account_id__in=account_ids)
        .order_by("id")
        .first()
    )
    if order is None:
        raise OrderNotFound(
            f"Order with client_order_id {client_order_id!r} not found",
            details={"client_order_id": client_order_id},
        )
    return order


def fill_list(
    *,
    account_ids,
    order_id: int | None = None,
    symbol: str | None = None,
    executed_from: datetime | None = None,
    executed_to: datetime | None = None,
) -> QuerySet[Fill]:
    """Return the fills of `account_ids` matching the filters, newest first."""
    fills = Fill.objects.filter(account_id__in=account_ids).select_related("instrument")
    if order_id is not None:
        fills = fills.filter(order_id=order_id)
    if symbol:
        fills = fills.filter(instrument__symbol=symbol.upper())
    if executed_from:
        fills = fills.filter(executed_at__gte=executed_from)
    if executed_to:
        fills = fills.filter(executed_at__lt=executed_to)
    return fills
