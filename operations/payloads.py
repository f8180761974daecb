"""The one representation of an operation: REST detail, WebSocket events and audit snapshots."""

from decimal import ROUND_DOWN, Decimal
from typing import Any

from kernel.decimals import decimal_text
from operations.enums import OperationStatus

_PERCENT_QUANTUM = Decimal("0.01")
_HUNDRED = Decimal(100)


def _iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def operation_percentage(operation) -> Decimal:
    """Return the progress in percent (two places, rounded down so 100 means done)."""
    if operation.status == OperationStatus.COMPLETED:
        return _HUNDRED
    total = operation.items_total
    if not total:
        return Decimal(0)
    value = Decimal(operation.items_done) * _HUNDRED / Decimal(total)
    return min(value.quantize(_PERCENT_QUANTUM, rounding=ROUND_DOWN), _HUNDRED)


def progress_payload(operation) -> dict[str, Any]:
    """Return `{percentage, phase, items_done, items_total}` (percentage a plain string)."""
    return {
        "percentage": decimal_text(operation_percentage(operation)),
        "phase": operation.phase,
        "items_done": operation.items_done,
        "items_total": operation.items_total,
    }


def operation_payload(operation) -> dict[str, Any]:
    """Return the operation as GET /operations/{id} shows it, JSON-safe."""
    return {
        "id": operation.pk,
        "type": operation.type,
        "status": operation.status,
        "account": operation.account_id,
        "parent": operation.parent_id,
        "progress": progress_payload(operation),
        "error": operation.error,
        "result": operation.result,
        "worker": operation.worker,
        "attempts": operation.attempts,
        "cancel_requested_at": _iso(operation.cancel_requested_at),
        "created_at": _iso(operation.created_at),
        "started_at": _iso(operation.started_at),
        "finished_at": _iso(operation.finished_at),
        "heartbeat_at": _iso(operation.heartbeat_at),
    }
