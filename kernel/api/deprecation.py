"""Deprecated operations: `@deprecated(...)` on a view, `Deprecation`/`Sunset` on its answers.

The schema marks the same operations `deprecated: true` (kernel.api.schema.AutoSchema), so the
declaration is in one place. Policy: docs/api-versioning.md.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

ViewClass = TypeVar("ViewClass", bound=type)


@dataclass(frozen=True)
class Deprecation:
    """Since when an operation is deprecated, when it goes away, and where to read about it."""

    since: datetime.datetime
    sunset: datetime.datetime
    link: str = ""
    methods: frozenset[str] | None = None  # None: every method of the view

    def headers(self) -> dict[str, str]:
        """The response headers: Deprecation (RFC 9745), Sunset (RFC 8594) and Link."""
        headers = {
            "Deprecation": f"@{int(self.since.timestamp())}",
            "Sunset": http_date(self.sunset.timestamp()),
        }
        if self.link:
            headers["Link"] = f'<{self.link}>; rel="deprecation"'
        return headers


def _midnight_utc(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def deprecated(
    *,
    since: datetime.date,
    sunset: datetime.date,
    link: str = "",
    methods: Iterable[str] | None = None,
) -> Callable[[ViewClass], ViewClass]:
    """Class decorator: the view's operations (or only `methods`) are deprecated.

    The sunset must be after `since`; days are taken at 00:00 UTC.
    """
    if sunset <= since:
        raise ValueError("The sunset must come after the deprecation.")
    declaration = Deprecation(
        since=_midnight_utc(since),
        sunset=_midnight_utc(sunset),
        link=link,
        methods=frozenset(m.upper() for m in methods) if methods is not None else None,
    )

    def decorate(view_class: ViewClass) -> ViewClass:
        view_class.api_deprecation = declaration  # type: ignore[attr-defined]
        return view_class

    return decorate


def deprecation_of(view: Any, method: str) -> Deprecation | None:
    """The view's (class or instance) deprecation for `method`, or None."""
    declaration = getattr(view, "api_deprecation", None)
    if not isinstance(declaration, Deprecation):
        return None
    if declaration.methods is not None and method.upper() not in declaration.methods:
        return None
    return declaration


class DeprecationHeadersMiddleware:
    """Adds the Deprecation and Sunset headers to every answer of a deprecated operation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        declaration = getattr(request, "api_deprecation", None)
        if isinstance(declaration, Deprecation):
            for name, value in declaration.headers().items():
                response[name] = value
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        request.api_deprecation = deprecation_of(view_class, request.method or "GET")  # type: ignore[attr-defined]
