"""Strategy deployments: `POST /strategies/{name}/deployments`, `/deployments` and their
lifecycle (`pause`, `resume`, `stop`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trading_client._call import Call, Reply, body, one, page, query
from trading_client.errors import ResponseFormatError
from trading_client.models._base import parse_list
from trading_client.models.deployments import Deployment
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, Number, SyncResource
from trading_client.signing import quote_segment


def _start_fields(
    interval: str | None,
    parameters: dict[str, Any] | None,
    capital: Number,
    risk_per_trade_pct: Number | None,
    stop_loss_pct: Number | None,
) -> list[tuple[str, Any]]:
    return [
        ("interval", interval),
        ("parameters", parameters),
        ("capital", capital),
        ("risk_per_trade_pct", risk_per_trade_pct),
        ("stop_loss_pct", stop_loss_pct),
    ]


def _start(
    strategy: str, symbol: str, fields: list[tuple[str, Any]], idempotency_key: str | None
) -> Call[Deployment]:
    return Call(
        "POST",
        f"/strategies/{quote_segment(strategy)}/deployments",
        parse=one(Deployment),
        body=body([("symbol", symbol), *fields]),
        idempotency_key=idempotency_key,
    )


def _deployments(reply: Reply) -> list[Deployment]:
    if not isinstance(reply.body, dict):
        raise ResponseFormatError("expected {results: [...]}", status=reply.status)
    return parse_list(Deployment, reply.body.get("results"))


def _start_many(
    strategy: str,
    symbols: Sequence[str],
    fields: list[tuple[str, Any]],
    idempotency_key: str | None,
) -> Call[list[Deployment]]:
    return Call(
        "POST",
        f"/strategies/{quote_segment(strategy)}/deployments",
        parse=_deployments,
        body=body([("symbols", list(symbols)), *fields]),
        idempotency_key=idempotency_key,
    )


def _list(
    status: str | None, strategy: str | None, symbol: str | None, limit: int | None
) -> Call[Page[Deployment]]:
    params = query([("status", status), ("strategy", strategy), ("symbol", symbol),
                    ("limit", limit)])  # fmt: skip
    return Call("GET", "/deployments", parse=page(Deployment), params=params)


def _get(deployment_id: int) -> Call[Deployment]:
    return Call("GET", f"/deployments/{deployment_id}", parse=one(Deployment))


def _action(
    deployment_id: int, action: str, reason: str | None, idempotency_key: str | None
) -> Call[Deployment]:
    return Call(
        "POST",
        f"/deployments/{deployment_id}/{action}",
        parse=one(Deployment),
        body=body([("reason", reason)]),
        idempotency_key=idempotency_key,
    )


class DeploymentsResource(SyncResource):
    """`client.deployments`: strategies trading live on the paper venue (`trade` scope to
    start and change them)."""

    def start(
        self,
        strategy: str,
        symbol: str,
        *,
        capital: Number,
        interval: str | None = None,
        parameters: dict[str, Any] | None = None,
        risk_per_trade_pct: Number | None = None,
        stop_loss_pct: Number | None = None,
        idempotency_key: str | None = None,
    ) -> Deployment:
        """Starts `strategy` on `symbol`'s closed bars of `interval` (default 1m) with a fixed
        `capital`; returns the running deployment. Raises ValidationError,
        StrategyNotFoundError, SymbolNotFoundError."""
        fields = _start_fields(interval, parameters, capital, risk_per_trade_pct, stop_loss_pct)
        return self._run(_start(strategy, symbol, fields, idempotency_key))

    def start_many(
        self,
        strategy: str,
        symbols: Sequence[str],
        *,
        capital: Number,
        interval: str | None = None,
        parameters: dict[str, Any] | None = None,
        risk_per_trade_pct: Number | None = None,
        stop_loss_pct: Number | None = None,
        idempotency_key: str | None = None,
    ) -> list[Deployment]:
        """As `start`, one deployment per symbol (each with `capital`), in one call."""
        fields = _start_fields(interval, parameters, capital, risk_per_trade_pct, stop_loss_pct)
        return self._run(_start_many(strategy, symbols, fields, idempotency_key))

    def list(
        self,
        *,
        status: str | None = None,
        strategy: str | None = None,
        symbol: str | None = None,
        limit: int | None = None,
    ) -> Paginator[Deployment]:
        """Returns a Paginator over the account's deployments, newest first (without
        `position` and `signals`: `get` has them)."""
        return self._paginate(_list(status, strategy, symbol, limit))

    def get(self, deployment_id: int) -> Deployment:
        """Returns a deployment with its position, working quantity and latest 20 signals.
        Raises DeploymentNotFoundError."""
        return self._run(_get(deployment_id))

    def pause(
        self, deployment_id: int, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> Deployment:
        """Pauses a running deployment. Raises InvalidDeploymentStateError."""
        return self._run(_action(deployment_id, "pause", reason, idempotency_key))

    def resume(
        self, deployment_id: int, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> Deployment:
        """Resumes a paused deployment from the newest closed bar. Raises
        InvalidDeploymentStateError, TradingStoppedError (trading stopped or halted)."""
        return self._run(_action(deployment_id, "resume", reason, idempotency_key))

    def stop(
        self, deployment_id: int, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> Deployment:
        """Stops a deployment for good (its position stays open). Raises
        InvalidDeploymentStateError when it is stopped already."""
        return self._run(_action(deployment_id, "stop", reason, idempotency_key))


class AsyncDeploymentsResource(AsyncResource):
    """`client.deployments` of AsyncClient."""

    async def start(
        self,
        strategy: str,
        symbol: str,
        *,
        capital: Number,
        interval: str | None = None,
        parameters: dict[str, Any] | None = None,
        risk_per_trade_pct: Number | None = None,
        stop_loss_pct: Number | None = None,
        idempotency_key: str | None = None,
    ) -> Deployment:
        """As DeploymentsResource.start."""
        fields = _start_fields(interval, parameters, capital, risk_per_trade_pct, stop_loss_pct)
        return await self._run(_start(strategy, symbol, fields, idempotency_key))

    async def start_many(
        self,
        strategy: str,
        symbols: Sequence[str],
        *,
        capital: Number,
        interval: str | None = None,
        parameters: dict[str, Any] | None = None,
        risk_per_trade_pct: Number | None = None,
        stop_loss_pct: Number | None = None,
        idempotency_key: str | None = None,
    ) -> list[Deployment]:
        """As DeploymentsResource.start_many."""
        fields = _start_fields(interval, parameters, capital, risk_per_trade_pct, stop_loss_pct)
        return await self._run(_start_many(strategy, symbols, fields, idempotency_key))

    def list(
        self,
        *,
        status: str | None = None,
        strategy: str | None = None,
        symbol: str | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[Deployment]:
        """As DeploymentsResource.list."""
        return self._paginate(_list(status, strategy, symbol, limit))

    async def get(self, deployment_id: int) -> Deployment:
        """As DeploymentsResource.get."""
        return await self._run(_get(deployment_id))

    async def pause(
        self, deployment_id: int, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> Deployment:
        """As DeploymentsResource.pause."""
        return await self._run(_action(deployment_id, "pause", reason, idempotency_key))

    async def resume(
        self, deployment_id: int, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> Deployment:
        """As DeploymentsResource.resume."""
        return await self._run(_action(deployment_id, "resume", reason, idempotency_key))

    async def stop(
        self, deployment_id: int, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> Deployment:
        """As DeploymentsResource.stop."""
        return await self._run(_action(deployment_id, "stop", reason, idempotency_key))
