"""Operation reads, scoped to the caller's accounts."""

from datetime import datetime

from django.db.models import QuerySet

from kernel.ids import id_parse
from kernel.typing import AccountIds
from operations.errors import OperationNotFound
from operations.models import Operation


def operation_list(
    *,
    account_ids: AccountIds,
    status: str | None = None,
    type: str | None = None,
    parent_id: int | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[Operation]:
    """Return the operations of `account_ids` matching the filters, newest first."""
    operations = Operation.objects.filter(account_id__in=account_ids)
    if status:
        operations = operations.filter(status=status)
    if type:
        operations = operations.filter(type=type)
    if parent_id is not None:
        operations = operations.filter(parent_id=parent_id)
    if created_from:
        operations = operations.filter(created_at__gte=created_from)
    if created_to:
        operations = operations.filter(created_at__lt=created_to)
    return operations.order_by("-id")


def operation_get(*, operation_id: int | str, account_ids: AccountIds) -> Operation:
    """Return one operation of `account_ids`; raises OperationNotFound (404) for any other id."""
    try:
        return Operation.objects.get(pk=id_parse(operation_id), account_id__in=account_ids)
    except (Operation.DoesNotExist, ValueError, TypeError):
        raise OperationNotFound(
            f"Operation {operation_id} not found", details={"operation_id": operation_id}
        ) from None
