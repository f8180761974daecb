"""Orders and fills: `/orders` (entry, preview, lifecycle, lists, cancel-all) and `/fills`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trading_client._call import Call, array, body, one, page, query
from trading_client.models.orders import CancelResult, Fill, Order, OrderPreview
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, Number, SyncResource
from trading_client.signing import quote_segment

CancelResults = list[CancelResult]


def _entry(
    symbol: str,
    side: str,
    quantity: Number,
    order_type: str | None,
    time_in_force: str | None,
    limit_price: Number | None,
    stop_price: Number | None,
    expire_at: datetime | None,
    stop_loss: Number | None,
    client_order_id: str | None,
    strategy: str | None,
    signal: str | None,
) -> dict[str, Any]:
    return body(
        [
            ("symbol", symbol),
            ("side", side),
            ("order_type", order_type),
            ("time_in_force", time_in_force),
            ("quantity", quantity),
            ("limit_price", limit_price),
            ("stop_price", stop_price),
            ("expire_at", expire_at),
            ("stop_loss", stop_loss),
            ("client_order_id", client_order_id),
            ("strategy", strategy),
            ("signal", signal),
        ]
    )


def _submit(entry: dict[str, Any], idempotency_key: str | None) -> Call[Order]:
    return Call("POST", "/orders", parse=one(Order), body=entry, idempotency_key=idempotency_key)


def _preview(entry: dict[str, Any]) -> Call[OrderPreview]:
    return Call("POST", "/orders/preview", parse=one(OrderPreview), body=entry)


def _get(order_id: int) -> Call[Order]:
    return Call("GET", f"/orders/{quote_segment(order_id)}", parse=one(Order))


def _by_client_id(client_order_id: str) -> Call[Order]:
    path = f"/orders/by-client-id/{quote_segment(client_order_id)}"
    return Call("GET", path, parse=one(Order))


def _list(
    status: str | None,
    symbol: str | None,
    side: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
) -> Call[Page[Order]]:
    params = query(
        [
            ("status", status),
            ("symbol", symbol),
            ("side", side),
            ("from", start),
            ("to", end),
            ("limit", limit),
        ]
    )
    return Call("GET", "/orders", parse=page(Order), params=params)


def _modify(
    order_id: int,
    quantity: Number | None,
    limit_price: Number | None,
    stop_price: Number | None,
    version: int | None,
    idempotency_key: str | None,
) -> Call[Order]:
    changes = body(
        [("quantity", quantity), ("limit_price", limit_price), ("stop_price", stop_price)]
    )
    headers = (("If-Match", str(version)),) if version is not None else ()
    return Call(
        "PATCH",
        f"/orders/{quote_segment(order_id)}",
        parse=one(Order),
        body=changes,
        headers=headers,
        idempotency_key=idempotency_key,
    )


def _cancel(order_id: int, idempotency_key: str | None) -> Call[Order]:
    path = f"/orders/{quote_segment(order_id)}"
    return Call("DELETE", path, parse=one(Order), idempotency_key=idempotency_key)


def _cancel_all(symbol: str | None, idempotency_key: str | None) -> Call[CancelResults]:
    return Call(
        "DELETE",
        "/orders",
        parse=array(CancelResult),
        params=query([("symbol", symbol)]),
        idempotency_key=idempotency_key,
    )


def _fills(
    order: int | None,
    symbol: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
) -> Call[Page[Fill]]:
    params = query(
        [("order", order), ("symbol", symbol), ("from", start), ("to", end), ("limit", limit)]
    )
    return Call("GET", "/fills", parse=page(Fill), params=params)


class OrdersResource(SyncResource):
    """`client.orders`: place, preview, read, list, modify and cancel orders.

    Every write sends an Idempotency-Key (pass `idempotency_key=` to choose it, e.g. to
    resume after a crash); its retries reuse it, so a retried order is placed at most once.
    """

    def submit(
        self,
        symbol: str,
        side: str,
        quantity: Number,
        *,
        order_type: str | None = None,
        time_in_force: str | None = None,
        limit_price: Number | None = None,
        stop_price: Number | None = None,
        expire_at: datetime | None = None,
        stop_loss: Number | None = None,
        client_order_id: str | None = None,
        strategy: str | None = None,
        signal: str | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """Place an order (`order_type` market by default, `time_in_force` gtc).

        Returns the Order (status `pending` until the venue takes it). Raises ValidationError
        (fields off the instrument's grid, missing prices), TradingStoppedError,
        TradingReduceOnlyError, RiskRejectedError (the rejected order's id and every
        violation), DuplicateClientOrderIdError, ServiceUnavailableError (a market order
        without a live quote).
        """
        entry = _entry(
            symbol,
            side,
            quantity,
            order_type,
            time_in_force,
            limit_price,
            stop_price,
            expire_at,
            stop_loss,
            client_order_id,
            strategy,
            signal,
        )
        return self._run(_submit(entry, idempotency_key))

    def preview(
        self,
        symbol: str,
        side: str,
        quantity: Number,
        *,
        order_type: str | None = None,
        time_in_force: str | None = None,
        limit_price: Number | None = None,
        stop_price: Number | None = None,
        expire_at: datetime | None = None,
        stop_loss: Number | None = None,
    ) -> OrderPreview:
        """What submitting this order would do, placing nothing: returns OrderPreview
        (verdict, every violated rule, estimated price, notional, fee, the lock). Raises
        ValidationError."""
        entry = _entry(
            symbol,
            side,
            quantity,
            order_type,
            time_in_force,
            limit_price,
            stop_price,
            expire_at,
            stop_loss,
            None,
            None,
            None,
        )
        return self._run(_preview(entry))

    def get(self, order_id: int) -> Order:
        """Returns the order with its fills and events; raises OrderNotFoundError (also for
        another account's order)."""
        return self._run(_get(order_id))

    def get_by_client_id(self, client_order_id: str) -> Order:
        """Returns the order with this client order id, with fills and events; raises
        OrderNotFoundError."""
        return self._run(_by_client_id(client_order_id))

    def list(
        self,
        *,
        status: str | None = None,
        symbol: str | None = None,
        side: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Paginator[Order]:
        """Returns a Paginator over the account's orders, newest first, filtered by status,
        symbol, side and creation time [`start`, `end`]; `limit` per page (max 500)."""
        return self._paginate(_list(status, symbol, side, start, end, limit))

    def modify(
        self,
        order_id: int,
        *,
        quantity: Number | None = None,
        limit_price: Number | None = None,
        stop_price: Number | None = None,
        version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """Change a working order in place; with `version` only if it is still at that version
        (`If-Match`). Returns the Order (version + 1). Raises VersionMismatchError,
        InvalidOrderStateError (not open or partially filled), RiskRejectedError,
        ValidationError, OrderNotFoundError, TradingStoppedError."""
        return self._run(
            _modify(order_id, quantity, limit_price, stop_price, version, idempotency_key)
        )

    def cancel(self, order_id: int, *, idempotency_key: str | None = None) -> Order:
        """Cancel an order; returns it (an already canceled order too). Raises
        OrderNotCancelableError (filled, rejected or expired), OrderNotFoundError."""
        return self._run(_cancel(order_id, idempotency_key))

    def cancel_all(
        self, *, symbol: str | None = None, idempotency_key: str | None = None
    ) -> CancelResults:
        """Cancel every working order (of `symbol`). Returns one CancelResult per order with
        its own status code (the server answers 207)."""
        return self._run(_cancel_all(symbol, idempotency_key))


class AsyncOrdersResource(AsyncResource):
    """`client.orders` of AsyncClient: OrdersResource's methods, awaited."""

    async def submit(
        self,
        symbol: str,
        side: str,
        quantity: Number,
        *,
        order_type: str | None = None,
        time_in_force: str | None = None,
        limit_price: Number | None = None,
        stop_price: Number | None = None,
        expire_at: datetime | None = None,
        stop_loss: Number | None = None,
        client_order_id: str | None = None,
        strategy: str | None = None,
        signal: str | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """As OrdersResource.submit."""
        entry = _entry(
            symbol,
            side,
            quantity,
            order_type,
            time_in_force,
            limit_price,
            stop_price,
            expire_at,
            stop_loss,
            client_order_id,
            strategy,
            signal,
        )
        return await self._run(_submit(entry, idempotency_key))

    async def preview(
        self,
        symbol: str,
        side: str,
        quantity: Number,
        *,
        order_type: str | None = None,
        time_in_force: str | None = None,
        limit_price: Number | None = None,
        stop_price: Number | None = None,
        expire_at: datetime | None = None,
        stop_loss: Number | None = None,
    ) -> OrderPreview:
        """As OrdersResource.preview."""
        entry = _entry(
            symbol,
            side,
            quantity,
            order_type,
            time_in_force,
            limit_price,
            stop_price,
            expire_at,
            stop_loss,
            None,
            None,
            None,
        )
        return await self._run(_preview(entry))

    async def get(self, order_id: int) -> Order:
        """As OrdersResource.get."""
        return await self._run(_get(order_id))

    async def get_by_client_id(self, client_order_id: str) -> Order:
        """As OrdersResource.get_by_client_id."""
        return await self._run(_by_client_id(client_order_id))

    def list(
        self,
        *,
        status: str | None = None,
        symbol: str | None = None,
        side: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[Order]:
        """As OrdersResource.list (an AsyncPaginator)."""
        return self._paginate(_list(status, symbol, side, start, end, limit))

    async def modify(
        self,
        order_id: int,
        *,
        quantity: Number | None = None,
        limit_price: Number | None = None,
        stop_price: Number | None = None,
        version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """As OrdersResource.modify."""
        return await self._run(
            _modify(order_id, quantity, limit_price, stop_price, version, idempotency_key)
        )

    async def cancel(self, order_id: int, *, idempotency_key: str | None = None) -> Order:
        """As OrdersResource.cancel."""
        return await self._run(_cancel(order_id, idempotency_key))

    async def cancel_all(
        self, *, symbol: str | None = None, idempotency_key: str | None = None
    ) -> CancelResults:
        """As OrdersResource.cancel_all."""
        return await self._run(_cancel_all(symbol, idempotency_key))


class FillsResource(SyncResource):
    """`client.fills`."""

    def list(
        self,
        *,
        order: int | None = None,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Paginator[Fill]:
        """Returns a Paginator over the account's fills, newest first, filtered by order id,
        symbol and execution time [`start`, `end`]."""
        return self._paginate(_fills(order, symbol, start, end, limit))


class AsyncFillsResource(AsyncResource):
    """`client.fills` of AsyncClient."""

    def list(
        self,
        *,
        order: int | None = None,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[Fill]:
        """As FillsResource.list (an AsyncPaginator)."""
        return self._paginate(_fills(order, symbol, start, end, limit))
