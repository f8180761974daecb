"""One API call described as data: method, path, query, body, how to read the answer, and
whether repeating it is safe. Resource modules build these; the transports run them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

from trading_client._json import query_value
from trading_client.errors import ResponseFormatError
from trading_client.models._base import Model, parse_list
from trading_client.pagination import Page

T = TypeVar("T")
M = TypeVar("M", bound=Model)

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()


@dataclass(frozen=True)
class Reply:
    """A successful response: status, headers (lower-case names), parsed JSON body."""

    status: int
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Call(Generic[T]):
    """One call. `idempotent` says whether sending it again after it may have arrived is safe
    (true for reads and for every write the server covers with Idempotency-Key)."""

    method: str
    path: str
    parse: Callable[[Reply], T]
    params: tuple[tuple[str, str], ...] = ()
    body: Any = NO_BODY
    authenticated: bool = True
    idempotent: bool = True
    idempotency_key: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING_METHODS

    def with_params(self, *extra: tuple[str, str]) -> Call[T]:
        """The same call with more query parameters (a cursor, the account)."""
        return Call(
            method=self.method,
            path=self.path,
            parse=self.parse,
            params=(*self.params, *extra),
            body=self.body,
            authenticated=self.authenticated,
            idempotent=self.idempotent,
            idempotency_key=self.idempotency_key,
            headers=self.headers,
        )


def query(pairs: Iterable[tuple[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Query parameters in order, without the ones whose value is None."""
    return tuple((name, query_value(value)) for name, value in pairs if value is not None)


def body(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON body without the fields whose value is None."""
    return {name: value for name, value in pairs if value is not None}


def one(model: type[M]) -> Callable[[Reply], M]:
    """Read the body as one `model`."""

    def parse(reply: Reply) -> M:
        return model.from_dict(reply.body)

    return parse


def array(model: type[M]) -> Callable[[Reply], list[M]]:
    """Read the body as a JSON array of `model` (the 207 answers)."""

    def parse(reply: Reply) -> list[M]:
        return parse_list(model, reply.body)

    return parse


def results(model: type[M]) -> Callable[[Reply], list[M]]:
    """Read `{"results": [...]}` (unpaginated lists such as balances) as a list of `model`."""

    def parse(reply: Reply) -> list[M]:
        if not isinstance(reply.body, dict):
            raise ResponseFormatError("expected {results: [...]}", status=reply.status)
        return parse_list(model, reply.body.get("results"))

    return parse


def cursor_of(next_url: str | None) -> str | None:
    """The `cursor` parameter of a `next` link."""
    if not next_url:
        return None
    values = parse_qs(urlsplit(next_url).query).get("cursor")
    if not values:
        raise ResponseFormatError(f"`next` has no cursor: {next_url}", status=200)
    return values[0]


def page(model: type[M]) -> Callable[[Reply], Page[M]]:
    """Read a cursor page `{"results": [...], "next": url | null}`."""

    def parse(reply: Reply) -> Page[M]:
        if not isinstance(reply.body, dict):
            raise ResponseFormatError("expected a page {results, next}", status=reply.status)
        next_url = reply.body.get("next")
        return Page(
            items=parse_list(model, reply.body.get("results")),
            next_cursor=cursor_of(next_url),
            next_url=next_url,
        )

    return parse


def nothing(reply: Reply) -> None:
    """For answers without a body (204)."""
    return None
