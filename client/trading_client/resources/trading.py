"""Trading control: `/trading`, `/trading/start`, `/trading/stop`, `/trading/reduce-only`."""

from __future__ import annotations

from trading_client._call import Call, body, one
from trading_client.models.risk import TradingState, TradingStopResult
from trading_client.resources._base import AsyncResource, SyncResource


def _get() -> Call[TradingState]:
    return Call("GET", "/trading", parse=one(TradingState))


def _start(reason: str | None, idempotency_key: str | None) -> Call[TradingState]:
    return Call(
        "POST",
        "/trading/start",
        parse=one(TradingState),
        body=body([("reason", reason)]),
        idempotency_key=idempotency_key,
    )


def _reduce_only(reason: str | None, idempotency_key: str | None) -> Call[TradingState]:
    return Call(
        "POST",
        "/trading/reduce-only",
        parse=one(TradingState),
        body=body([("reason", reason)]),
        idempotency_key=idempotency_key,
    )


def _stop(
    reason: str, cancel_orders: bool, close_positions: bool, idempotency_key: str | None
) -> Call[TradingStopResult]:
    fields = {"reason": reason, "cancel_orders": cancel_orders, "close_positions": close_positions}
    return Call(
        "POST",
        "/trading/stop",
        parse=one(TradingStopResult),
        body=fields,
        idempotency_key=idempotency_key,
    )


class TradingResource(SyncResource):
    """`client.trading`: the account's trading state and the kill switch (`control` scope)."""

    def get(self) -> TradingState:
        """Returns the persisted state, its reason, actor and time, and the effective state."""
        return self._run(_get())

    def start(
        self, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> TradingState:
        """Let trading run again; leaving `halted` needs a `reason`. Returns the new state.
        Raises ValidationError, PermissionDeniedError."""
        return self._run(_start(reason, idempotency_key))

    def stop(
        self,
        reason: str,
        *,
        cancel_orders: bool = True,
        close_positions: bool = True,
        idempotency_key: str | None = None,
    ) -> TradingStopResult:
        """The kill switch: stop trading, then (by default) cancel working orders and flatten
        positions with market orders. Returns the new state with the canceled orders and the
        closing orders, each with its own status code. Raises ValidationError (no reason)."""
        return self._run(_stop(reason, cancel_orders, close_positions, idempotency_key))

    def reduce_only(
        self, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> TradingState:
        """Accept only orders that shrink a position. Returns the new state."""
        return self._run(_reduce_only(reason, idempotency_key))


class AsyncTradingResource(AsyncResource):
    """`client.trading` of AsyncClient."""

    async def get(self) -> TradingState:
        """As TradingResource.get."""
        return await self._run(_get())

    async def start(
        self, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> TradingState:
        """As TradingResource.start."""
        return await self._run(_start(reason, idempotency_key))

    async def stop(
        self,
        reason: str,
        *,
        cancel_orders: bool = True,
        close_positions: bool = True,
        idempotency_key: str | None = None,
    ) -> TradingStopResult:
        """As TradingResource.stop."""
        return await self._run(_stop(reason, cancel_orders, close_positions, idempotency_key))

    async def reduce_only(
        self, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> TradingState:
        """As TradingResource.reduce_only."""
        return await self._run(_reduce_only(reason, idempotency_key))
