"""Order reads: working orders for the venue, scoped lists and lookups for the API."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from kernel.db.expressions import ExactSub, ExactSum
from kernel.db.prepared import Markers, Prepared
from kernel.ids import id_parse
from kernel.typing import AccountIds
from orders.enums import WORKING_STATUSES, OrderStatus
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
    account_ids: AccountIds,
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


def order_get(*, order_id: int | str, account_ids: AccountIds) -> Order:
    """Return one order of `account_ids`; raises OrderNotFound (404) for any other id."""
    try:
        return Order.objects.select_related("instrument").get(
            pk=id_parse(order_id), account_id__in=account_ids
        )
    except (Order.DoesNotExist, ValueError, TypeError):
        raise OrderNotFound(f"Order {order_id} not found", details={"order_id": order_id}) from None


def order_get_by_client_id(*, client_order_id: str, account_ids: AccountIds) -> Order:
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
    account_ids: AccountIds,
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


def _facts_query(p: Markers) -> QuerySet:
    working = Q(status__in=[*WORKING_STATUSES, OrderStatus.NEW])
    remaining = ExactSub(F("quantity"), F("filled_quantity"))
    # Only working or recent orders count towards any figure: naming them lets the account's
    # (status) and (created_at) indexes find them instead of reading its whole history.
    return (
        Order.objects.filter(account_id=p.account_id)
        .filter(working | Q(created_at__gt=p.since))
        .exclude(pk=p.exclude_order_id)
        .values("account_id")
        .annotate(
            open_orders=Count("id", filter=working),
            recent_orders=Count("id", filter=Q(created_at__gt=p.since)),
            working_buy=ExactSum(
                remaining, filter=working & Q(instrument_id=p.instrument_id, side="buy")
            ),
            working_sell=ExactSum(
                remaining, filter=working & Q(instrument_id=p.instrument_id, side="sell")
            ),
        )
        .values_list("open_orders", "recent_orders", "working_buy", "working_sell")
    )


# The account's rows form one group (no row when it has no working or recent order).
_FACTS = Prepared(
    _facts_query,
    account_id=models.BigIntegerField(),
    instrument_id=models.BigIntegerField(),
    exclude_order_id=models.BigIntegerField(),
    since=models.DateTimeField(),
)


def order_facts_for_risk(
    *,
    account_id: int,
    instrument_id: int,
    exclude_order_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """What the risk rules need of the account's other orders, in one query.

    Returns {open_orders, recent_orders (created in the last second), working_quantity: {buy,
    sell} (still to fill in this instrument)}; `exclude_order_id` (a modified order) is left out.
    """
    since = (now or timezone.now()) - timedelta(seconds=1)
    rows = _FACTS.rows(
        account_id=account_id,
        instrument_id=instrument_id,
        exclude_order_id=exclude_order_id or 0,  # ids start at 1: 0 leaves nothing out
        since=since,
    )
    open_orders, recent_orders, working_buy, working_sell = rows[0] if rows else (0, 0, None, None)
    return {
        "open_orders": open_orders,
        "recent_orders": recent_orders,
        "working_quantity": {
            "buy": working_buy or Decimal(0),
            "sell": working_sell or Decimal(0),
        },
    }
