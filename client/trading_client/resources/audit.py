"""The audit trail: `/audit` and `/audit/verify` (admin scope)."""

from __future__ import annotations

from datetime import datetime

from trading_client._call import Call, one, page, query
from trading_client.models.audit import AuditEntry, AuditVerification
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, SyncResource


def _list(
    actor: str | None,
    action: str | None,
    object_ref: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
) -> Call[Page[AuditEntry]]:
    params = query(
        [
            ("actor", actor),
            ("action", action),
            ("object", object_ref),
            ("from", start),
            ("to", end),
            ("limit", limit),
        ]
    )
    return Call("GET", "/audit", parse=page(AuditEntry), params=params)


def _verify() -> Call[AuditVerification]:
    return Call("GET", "/audit/verify", parse=one(AuditVerification))


class AuditResource(SyncResource):
    """`client.audit`."""

    def list(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        object_ref: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Paginator[AuditEntry]:
        """Returns a Paginator over audit rows, newest first: `actor` a username or user id,
        `action` such as `order.canceled`, `object_ref` `type` or `type:id`, time in
        [start, end). Raises PermissionDeniedError (needs `admin`)."""
        return self._paginate(_list(actor, action, object_ref, start, end, limit))

    def verify(self) -> AuditVerification:
        """Walks the hash chain; returns whether it is intact, else the first broken row."""
        return self._run(_verify())


class AsyncAuditResource(AsyncResource):
    """`client.audit` of AsyncClient."""

    def list(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        object_ref: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPaginator[AuditEntry]:
        """As AuditResource.list (an AsyncPaginator)."""
        return self._paginate(_list(actor, action, object_ref, start, end, limit))

    async def verify(self) -> AuditVerification:
        """As AuditResource.verify."""
        return await self._run(_verify())
