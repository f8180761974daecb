"""When and how long to wait before trying a request again.

Only transient failures are retried: connection failures, timeouts, dropped connections, and
the statuses in `RetryPolicy.retry_statuses` (429, 502, 503, 504 by default). Other answers
(400, 401, 403, 404, 409, 412, 422, 500) are final and raised at once. Delays grow
exponentially with full jitter (a uniform draw between 0 and the capped exponential); a
`Retry-After` header is honoured as given. Nothing waits past the total `deadline`.

A request that may have reached the server is retried only when that is safe: every mutating
call carries an `Idempotency-Key` that stays the same across its attempts, so the server replays
the first outcome instead of acting twice. The one call the server does not cover
(`POST /api-keys`) is retried only when it provably did not arrive (a refused connection, 429).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from trading_client.errors import (
    APIError,
    ConnectError,
    NetworkError,
    TradingError,
    retry_after_seconds,
)

DEFAULT_RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How a call retries. Times are seconds.

    - `max_attempts`: attempts in all, the first included (1 disables retries).
    - `initial_delay`, `multiplier`, `max_delay`: the n-th retry waits a random time in
      [0, min(max_delay, initial_delay * multiplier ** (n - 1))] (full jitter).
    - `deadline`: no retry starts later than this after the call began (None: no deadline);
      each attempt's timeout is also cut to the time left.
    - `max_retry_after`: a `Retry-After` longer than this is not waited for (the error is
      raised).
    - `retry_statuses`: statuses retried; only 429 and 5xx are allowed.
    """

    max_attempts: int = 4
    initial_delay: float = 0.25
    multiplier: float = 2.0
    max_delay: float = 8.0
    deadline: float | None = 30.0
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = field(default=DEFAULT_RETRY_STATUSES)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_delay < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise ValueError("delays must be >= 0 and the multiplier >= 1")
        refused = {s for s in self.retry_statuses if s != 429 and not 500 <= s <= 599}
        if refused:
            raise ValueError(f"statuses {sorted(refused)} are never retried (only 429 and 5xx)")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def backoff(self, retry: int, random: Callable[[], float]) -> float:
        """The wait before the `retry`-th retry (1-based): full jitter over the capped
        exponential."""
        cap = min(self.max_delay, self.initial_delay * self.multiplier ** (retry - 1))
        return random() * cap

    def delay_for(
        self,
        error: TradingError,
        *,
        attempt: int,
        elapsed: float,
        idempotent: bool,
        random: Callable[[], float],
    ) -> float | None:
        """Return how long to wait before the next attempt, or None to give up and raise.

        `attempt` is the number of the attempt that just failed (1-based), `elapsed` the
        seconds since the call began, `idempotent` whether repeating a request that may have
        arrived is safe.
        """
        if attempt >= self.max_attempts:
            return None
        retry_after: float | None = None
        if isinstance(error, NetworkError):
            if not idempotent and not isinstance(error, ConnectError):
                return None
        elif isinstance(error, APIError):
            if error.status not in self.retry_statuses:
                return None
            if not idempotent and error.status != 429:
                return None
            retry_after = retry_after_seconds(error.headers.get("retry-after"))
        else:
            return None
        delay = self.backoff(attempt, random)
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            delay = retry_after
        if self.deadline is not None and elapsed + delay >= self.deadline:
            return None
        return delay
