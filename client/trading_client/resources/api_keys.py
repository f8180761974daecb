"""API keys: `/api-keys` (needs the `admin` scope)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from trading_client._call import Call, body, one, page, query
from trading_client.models.api_keys import ApiKey, CreatedApiKey
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, SyncResource
from trading_client.signing import quote_segment


def _list(limit: int | None) -> Call[Page[ApiKey]]:
    return Call("GET", "/api-keys", parse=page(ApiKey), params=query([("limit", limit)]))


def _get(key: int) -> Call[ApiKey]:
    return Call("GET", f"/api-keys/{quote_segment(key)}", parse=one(ApiKey))


def _create(
    name: str,
    scopes: Sequence[str],
    scheme: str | None,
    public_key: str | None,
    account: int | None,
    expires_at: datetime | None,
    allowed_ips: Sequence[str] | None,
    rate_limits: Mapping[str, str] | None,
) -> Call[CreatedApiKey]:
    fields = body(
        [
            ("name", name),
            ("scopes", list(scopes)),
            ("scheme", scheme),
            ("public_key", public_key),
            ("account", account),
            ("expires_at", expires_at),
            ("allowed_ips", None if allowed_ips is None else list(allowed_ips)),
            ("rate_limits", None if rate_limits is None else dict(rate_limits)),
        ]
    )
    # The server keeps no idempotent replay for this call (its answer holds the secret), so
    # it is retried only when it surely did not arrive.
    return Call("POST", "/api-keys", parse=one(CreatedApiKey), body=fields, idempotent=False)


def _revoke(key: int) -> Call[ApiKey]:
    return Call("DELETE", f"/api-keys/{quote_segment(key)}", parse=one(ApiKey))


class ApiKeysResource(SyncResource):
    """`client.api_keys`: list, get, create, revoke (admin scope)."""

    def list(self, *, limit: int | None = None) -> Paginator[ApiKey]:
        """Returns a Paginator over the keys of the caller's accounts (`limit` per page)."""
        return self._paginate(_list(limit))

    def get(self, key: int) -> ApiKey:
        """Returns the key with database id `key`; raises NotFoundError."""
        return self._run(_get(key))

    def create(
        self,
        name: str,
        scopes: Sequence[str],
        *,
        scheme: str | None = None,
        public_key: str | None = None,
        account: int | None = None,
        expires_at: datetime | None = None,
        allowed_ips: Sequence[str] | None = None,
        rate_limits: Mapping[str, str] | None = None,
    ) -> CreatedApiKey:
        """Create a key (`scheme` simple, hmac, or ed25519, implied by `public_key`).

        Returns CreatedApiKey, whose `secret` is shown only this once. Raises
        ValidationError, PermissionDeniedError. Not retried once it may have reached the
        server: the server does not replay this call, so a retry could make a second key.
        """
        return self._run(
            _create(name, scopes, scheme, public_key, account, expires_at, allowed_ips, rate_limits)
        )

    def revoke(self, key: int) -> ApiKey:
        """Revoke the key with database id `key`; returns it with `revoked_at` set."""
        return self._run(_revoke(key))


class AsyncApiKeysResource(AsyncResource):
    """`client.api_keys` of AsyncClient: ApiKeysResource's methods, awaited."""

    def list(self, *, limit: int | None = None) -> AsyncPaginator[ApiKey]:
        """As ApiKeysResource.list (an AsyncPaginator)."""
        return self._paginate(_list(limit))

    async def get(self, key: int) -> ApiKey:
        """As ApiKeysResource.get."""
        return await self._run(_get(key))

    async def create(
        self,
        name: str,
        scopes: Sequence[str],
        *,
        scheme: str | None = None,
        public_key: str | None = None,
        account: int | None = None,
        expires_at: datetime | None = None,
        allowed_ips: Sequence[str] | None = None,
        rate_limits: Mapping[str, str] | None = None,
    ) -> CreatedApiKey:
        """As ApiKeysResource.create."""
        return await self._run(
            _create(name, scopes, scheme, public_key, account, expires_at, allowed_ips, rate_limits)
        )

    async def revoke(self, key: int) -> ApiKey:
        """As ApiKeysResource.revoke."""
        return await self._run(_revoke(key))
