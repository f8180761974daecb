"""What every resource group shares: running a call and paginating one."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

from trading_client._call import Call
from trading_client._transport import AsyncTransport, SyncTransport
from trading_client.pagination import AsyncPaginator, Page, Paginator

T = TypeVar("T")

#: A decimal input: a Decimal, or a string or int that reads as one (floats are refused).
Number = Decimal | str | int


class SyncResource:
    """A group of endpoints on a synchronous client."""

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def _run(self, call: Call[T]) -> T:
        return self._transport.request(call)

    def _paginate(self, call: Call[Page[T]]) -> Paginator[T]:
        def fetch(cursor: str | None) -> Page[T]:
            return self._run(call if cursor is None else call.with_params(("cursor", cursor)))

        return Paginator(fetch)


class AsyncResource:
    """A group of endpoints on an asynchronous client."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def _run(self, call: Call[T]) -> T:
        return await self._transport.request(call)

    def _paginate(self, call: Call[Page[T]]) -> AsyncPaginator[T]:
        async def fetch(cursor: str | None) -> Page[T]:
            return await self._run(call if cursor is None else call.with_params(("cursor", cursor)))

        return AsyncPaginator(fetch)
