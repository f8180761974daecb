"""Long operations (`/operations`): backtests, sweeps and the other jobs run by workers."""

from __future__ import annotations

from trading_client._call import Call, one, page, query
from trading_client.models.backtests import Operation, OperationMetrics
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.resources._base import AsyncResource, SyncResource


def _get(operation_id: int) -> Call[Operation]:
    return Call("GET", f"/operations/{operation_id}", parse=one(Operation))


def _list(status: str | None, type_: str | None, limit: int | None) -> Call[Page[Operation]]:
    params = query([("status", status), ("type", type_), ("limit", limit)])
    return Call("GET", "/operations", parse=page(Operation), params=params)


def _metrics(operation_id: int) -> Call[OperationMetrics]:
    return Call("GET", f"/operations/{operation_id}/metrics", parse=one(OperationMetrics))


def _cancel(operation_id: int, idempotency_key: str | None) -> Call[Operation]:
    return Call(
        "DELETE",
        f"/operations/{operation_id}/cancel",
        parse=one(Operation),
        idempotency_key=idempotency_key,
    )


class OperationsResource(SyncResource):
    """`client.operations`: the account's long jobs, their progress, metrics and cancel."""

    def get(self, operation_id: int) -> Operation:
        """Returns an operation with its status, progress and, once finished, its result or
        error. Raises OperationNotFoundError."""
        return self._run(_get(operation_id))

    def list(
        self, *, status: str | None = None, type: str | None = None, limit: int | None = None
    ) -> Paginator[Operation]:
        """Returns a Paginator over the account's operations, newest first (`type`:
        `backtest`, `backtest_sweep`, ...)."""
        return self._paginate(_list(status, type, limit))

    def metrics(self, operation_id: int) -> OperationMetrics:
        """Returns the job's own figures, partial while it runs. Raises
        OperationNotFoundError."""
        return self._run(_metrics(operation_id))

    def cancel(self, operation_id: int, *, idempotency_key: str | None = None) -> Operation:
        """Cancels a pending or running operation at its next checkpoint (a sweep: with its
        children). Raises OperationNotCancelableError once it finished."""
        return self._run(_cancel(operation_id, idempotency_key))


class AsyncOperationsResource(AsyncResource):
    """`client.operations` of AsyncClient."""

    async def get(self, operation_id: int) -> Operation:
        """As OperationsResource.get."""
        return await self._run(_get(operation_id))

    def list(
        self, *, status: str | None = None, type: str | None = None, limit: int | None = None
    ) -> AsyncPaginator[Operation]:
        """As OperationsResource.list."""
        return self._paginate(_list(status, type, limit))

    async def metrics(self, operation_id: int) -> OperationMetrics:
        """As OperationsResource.metrics."""
        return await self._run(_metrics(operation_id))

    async def cancel(self, operation_id: int, *, idempotency_key: str | None = None) -> Operation:
        """As OperationsResource.cancel."""
        return await self._run(_cancel(operation_id, idempotency_key))
