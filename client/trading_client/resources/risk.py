"""Risk and its configuration: `/risk`, `/risk/circuit-breaker/reset`, `/config`,
`/config/risk`, `/risk/overrides`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trading_client._call import Call, body, one, page, query
from trading_client.models.risk import CircuitBreaker, Config, RiskConfig, RiskOverride, RiskSummary
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, Number, SyncResource
from trading_client.signing import quote_segment


def _risk() -> Call[RiskSummary]:
    return Call("GET", "/risk", parse=one(RiskSummary))


def _breaker_reset(reason: str, idempotency_key: str | None) -> Call[CircuitBreaker]:
    return Call(
        "POST",
        "/risk/circuit-breaker/reset",
        parse=one(CircuitBreaker),
        body={"reason": reason},
        idempotency_key=idempotency_key,
    )


def _config() -> Call[Config]:
    return Call("GET", "/config", parse=one(Config))


def _risk_config() -> Call[RiskConfig]:
    return Call("GET", "/config/risk", parse=one(RiskConfig))


def _risk_config_update(
    changes: dict[str, Any], version: int | None, idempotency_key: str | None
) -> Call[RiskConfig]:
    fields = dict(changes)
    if version is not None:
        fields["version"] = version
    return Call(
        "PUT", "/config/risk", parse=one(RiskConfig), body=fields, idempotency_key=idempotency_key
    )


def _override_create(
    kind: str,
    target: str | None,
    value: Number,
    reason: str,
    expires_at: datetime,
    idempotency_key: str | None,
) -> Call[RiskOverride]:
    fields = body(
        [
            ("kind", kind),
            ("target", target),
            ("value", value),
            ("reason", reason),
            ("expires_at", expires_at),
        ]
    )
    return Call(
        "POST",
        "/risk/overrides",
        parse=one(RiskOverride),
        body=fields,
        idempotency_key=idempotency_key,
    )


def _overrides(status: str | None, limit: int | None) -> Call[Page[RiskOverride]]:
    params = query([("status", status), ("limit", limit)])
    return Call("GET", "/risk/overrides", parse=page(RiskOverride), params=params)


def _override(override_id: int) -> Call[RiskOverride]:
    return Call("GET", f"/risk/overrides/{quote_segment(override_id)}", parse=one(RiskOverride))


def _override_approve(override_id: int, idempotency_key: str | None) -> Call[RiskOverride]:
    path = f"/risk/overrides/{quote_segment(override_id)}/approve"
    return Call("POST", path, parse=one(RiskOverride), idempotency_key=idempotency_key)


def _override_revoke(override_id: int, idempotency_key: str | None) -> Call[RiskOverride]:
    path = f"/risk/overrides/{quote_segment(override_id)}"
    return Call("DELETE", path, parse=one(RiskOverride), idempotency_key=idempotency_key)


class RiskResource(SyncResource):
    """`client.risk`: the risk summary and the circuit breaker."""

    def get(self) -> RiskSummary:
        """Returns the trading state, drawdown zone, risk level, each limit's use, the circuit
        breaker and the active overrides."""
        return self._run(_risk())

    def reset_circuit_breaker(
        self, reason: str, *, idempotency_key: str | None = None
    ) -> CircuitBreaker:
        """Re-arm a tripped breaker (trading stays halted until `trading.start`). Returns the
        breaker. Raises CircuitBreakerNotTrippedError, ValidationError (blank reason),
        PermissionDeniedError (needs `control`)."""
        return self._run(_breaker_reset(reason, idempotency_key))


class AsyncRiskResource(AsyncResource):
    """`client.risk` of AsyncClient."""

    async def get(self) -> RiskSummary:
        """As RiskResource.get."""
        return await self._run(_risk())

    async def reset_circuit_breaker(
        self, reason: str, *, idempotency_key: str | None = None
    ) -> CircuitBreaker:
        """As RiskResource.reset_circuit_breaker."""
        return await self._run(_breaker_reset(reason, idempotency_key))


class ConfigResource(SyncResource):
    """`client.config`: the effective configuration and the risk configuration."""

    def get(self) -> Config:
        """Returns the account's effective non-secret configuration: risk, trading state,
        rate limits, venue."""
        return self._run(_config())

    def risk(self) -> RiskConfig:
        """Returns the account's risk configuration."""
        return self._run(_risk_config())

    def update_risk(
        self, *, version: int | None = None, idempotency_key: str | None = None, **changes: Any
    ) -> RiskConfig:
        """Change the named risk fields (others keep their values), e.g.
        `update_risk(max_order_notional=Decimal("50000"))`; with `version`, only if the
        configuration is still at it. Returns the new RiskConfig. Raises ValidationError
        (unknown fields, bad values; nothing changes), RiskConfigVersionConflictError,
        PermissionDeniedError (needs `control`)."""
        return self._run(_risk_config_update(changes, version, idempotency_key))


class AsyncConfigResource(AsyncResource):
    """`client.config` of AsyncClient."""

    async def get(self) -> Config:
        """As ConfigResource.get."""
        return await self._run(_config())

    async def risk(self) -> RiskConfig:
        """As ConfigResource.risk."""
        return await self._run(_risk_config())

    async def update_risk(
        self, *, version: int | None = None, idempotency_key: str | None = None, **changes: Any
    ) -> RiskConfig:
        """As ConfigResource.update_risk."""
        return await self._run(_risk_config_update(changes, version, idempotency_key))


class OverridesResource(SyncResource):
    """`client.overrides`: time-boxed manual risk overrides, with four-eyes approval."""

    def create(
        self,
        kind: str,
        *,
        value: Number,
        reason: str,
        expires_at: datetime,
        target: str | None = None,
        idempotency_key: str | None = None,
    ) -> RiskOverride:
        """Request an override (`kind` limit with `target` the limit's name, risk_level, or
        trading_state). Returns it `active`, or `pending_approval` on a four-eyes account.
        Raises ValidationError (bad kind/target/value, expiry not in (now, now + 7 days])."""
        return self._run(_override_create(kind, target, value, reason, expires_at, idempotency_key))

    def list(
        self, *, status: str | None = None, limit: int | None = None
    ) -> Paginator[RiskOverride]:
        """Returns a Paginator over the overrides of the caller's accounts (filter `status`)."""
        return self._paginate(_overrides(status, limit))

    def get(self, override_id: int) -> RiskOverride:
        """Returns one override; raises OverrideNotFoundError."""
        return self._run(_override(override_id))

    def approve(self, override_id: int, *, idempotency_key: str | None = None) -> RiskOverride:
        """Approve a pending override (by a different user with `control`); returns it active.
        Raises OverrideSelfApprovalError, OverrideApproverLacksScopeError,
        OverrideNotPendingError."""
        return self._run(_override_approve(override_id, idempotency_key))

    def revoke(self, override_id: int, *, idempotency_key: str | None = None) -> RiskOverride:
        """Revoke an override; returns it revoked. Raises OverrideNotRevocableError."""
        return self._run(_override_revoke(override_id, idempotency_key))


class AsyncOverridesResource(AsyncResource):
    """`client.overrides` of AsyncClient."""

    async def create(
        self,
        kind: str,
        *,
        value: Number,
        reason: str,
        expires_at: datetime,
        target: str | None = None,
        idempotency_key: str | None = None,
    ) -> RiskOverride:
        """As OverridesResource.create."""
        return await self._run(
            _override_create(kind, target, value, reason, expires_at, idempotency_key)
        )

    def list(
        self, *, status: str | None = None, limit: int | None = None
    ) -> AsyncPaginator[RiskOverride]:
        """As OverridesResource.list (an AsyncPaginator)."""
        return self._paginate(_overrides(status, limit))

    async def get(self, override_id: int) -> RiskOverride:
        """As OverridesResource.get."""
        return await self._run(_override(override_id))

    async def approve(
        self, override_id: int, *, idempotency_key: str | None = None
    ) -> RiskOverride:
        """As OverridesResource.approve."""
        return await self._run(_override_approve(override_id, idempotency_key))

    async def revoke(self, override_id: int, *, idempotency_key: str | None = None) -> RiskOverride:
        """As OverridesResource.revoke."""
        return await self._run(_override_revoke(override_id, idempotency_key))
