"""State tables: the one lookup that orders, operations and deployments move their records by."""

from collections.abc import Callable, Mapping
from enum import Enum
from typing import TypeVar

from kernel.errors import ApplicationError

S = TypeVar("S", bound=Enum)
Ev = TypeVar("Ev", bound=Enum)


def state_next(
    table: Mapping[tuple[S, Ev], S],
    *,
    states: Callable[[str], S],
    events: Callable[[str], Ev],
    status: str,
    event: str,
    refusal: type[ApplicationError],
    message: str,
) -> S:
    """Return the status `event` moves a record in `status` to, by `table`.

    Raises `refusal(message)` (details: status, event) when the table has no such edge, or when
    `status` or `event` is not a value of its enum.
    """
    try:
        return table[(states(status), events(event))]
    except (KeyError, ValueError):
        raise refusal(message, details={"status": status, "event": event}) from None
