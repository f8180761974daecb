"""Choices of operations."""

from django.db import models


class OperationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OperationEvent(models.TextChoices):
    """What happens to an operation; the transition table maps (status, event) to a status."""

    STARTED = "started", "Started"
    RESTARTED = "restarted", "Restarted"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = frozenset(
    {OperationStatus.COMPLETED, OperationStatus.FAILED, OperationStatus.CANCELLED}
)
