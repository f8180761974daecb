"""Cursor-paginated lists: iterate every item (pages are fetched as needed, following `next`),
or fetch one page at a time with `page(cursor=...)`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its `items` and the cursor of the next page (None on the last one)."""

    items: list[T]
    next_cursor: str | None = None
    next_url: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class Paginator(Generic[T]):
    """Iterating yields every item of every page, fetching the next page only when needed.

    `page(cursor)` fetches one page; `pages()` yields pages. Each iteration starts again from
    the first page. Fetching a page raises what the call raises (APIError, NetworkError).
    """

    def __init__(self, fetch: Callable[[str | None], Page[T]]) -> None:
        self._fetch = fetch

    def page(self, cursor: str | None = None) -> Page[T]:
        """Return the page at `cursor` (the first page without one)."""
        return self._fetch(cursor)

    def pages(self) -> Iterator[Page[T]]:
        """Yield the pages in order, following `next`."""
        cursor: str | None = None
        while True:
            current = self._fetch(cursor)
            yield current
            if current.next_cursor is None:
                return
            cursor = current.next_cursor

    def __iter__(self) -> Iterator[T]:
        for current in self.pages():
            yield from current.items


class AsyncPaginator(Generic[T]):
    """The async twin of `Paginator`: `async for item in ...`, `await page(cursor)`,
    `async for page in pages()`, and `await to_list()`."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[T]]]) -> None:
        self._fetch = fetch

    async def page(self, cursor: str | None = None) -> Page[T]:
        """Return the page at `cursor` (the first page without one)."""
        return await self._fetch(cursor)

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield the pages in order, following `next`."""
        cursor: str | None = None
        while True:
            current = await self._fetch(cursor)
            yield current
            if current.next_cursor is None:
                return
            cursor = current.next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for current in self.pages():
            for item in current.items:
                yield item

    async def to_list(self) -> list[T]:
        """Return every item of every page."""
        return [item async for item in self]
