"""System: `/health`, `/status`, `/me`, and ending a JWT login (`/auth/logout`)."""

from __future__ import annotations

from trading_client._call import Call, nothing, one
from trading_client.models.system import Health, Identity, Status
from trading_client.resources._base import AsyncResource, SyncResource


def _health() -> Call[Health]:
    return Call("GET", "/health", parse=one(Health), authenticated=False)


def _status() -> Call[Status]:
    return Call("GET", "/status", parse=one(Status))


def _me() -> Call[Identity]:
    return Call("GET", "/me", parse=one(Identity))


def logout_call(refresh: str) -> Call[None]:
    """`POST /auth/logout`: blacklist the refresh token (204)."""
    return Call("POST", "/auth/logout", parse=nothing, body={"refresh": refresh})


class SystemResource(SyncResource):
    """`client.system`."""

    def health(self) -> Health:
        """Liveness without credentials. Returns Health(status="ok"); raises
        ServiceUnavailableError when the server's database is unreachable."""
        return self._run(_health())

    def status(self) -> Status:
        """Returns the run mode, version, engine state and each dependency's state."""
        return self._run(_status())

    def me(self) -> Identity:
        """Returns who is calling: user, credential, roles, scopes and visible accounts."""
        return self._run(_me())


class AsyncSystemResource(AsyncResource):
    """`client.system` of AsyncClient: SystemResource's methods, awaited."""

    async def health(self) -> Health:
        """As SystemResource.health."""
        return await self._run(_health())

    async def status(self) -> Status:
        """As SystemResource.status."""
        return await self._run(_status())

    async def me(self) -> Identity:
        """As SystemResource.me."""
        return await self._run(_me())
