"""Operations: one row per long job, with its status, progress, metrics and heartbeat."""

from django.db import models
from django.db.models import Q

from operations.enums import FINISHED_STATUSES, OperationStatus


class Operation(models.Model):
    """A long job (a backtest, a sweep of backtests, ...) run by a task on a worker.

    `status` changes only through `operations.services` (the table in `operations.state`).
    A parent operation (a sweep) has no task of its own: its progress is its children's.
    """

    type = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=OperationStatus.choices, default=OperationStatus.PENDING
    )
    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    phase = models.CharField(max_length=64, blank=True, default="")
    items_done = models.PositiveBigIntegerField(default=0)
    items_total = models.PositiveBigIntegerField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    # {"code": "UPPER_SNAKE", "message": "...", "details": {...} | null}, or null.
    error = models.JSONField(null=True, blank=True)
    task_id = models.CharField(max_length=255, blank=True, default="")
    # "<host>:<pid>" of the worker process that runs (or last ran) the task.
    worker = models.CharField(max_length=255, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When progress was last written: the 100 ms throttle of progress events, across processes.
    progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="operation_account_id"),
            models.Index(fields=["status", "heartbeat_at"], name="operation_status_heartbeat"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OperationStatus.values), name="operation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(items_total__isnull=True) | Q(items_done__lte=models.F("items_total")),
                name="operation_items_done_lte_total",
            ),
            # Finished exactly when the status says so.
            models.CheckConstraint(
                condition=(
                    Q(status__in=sorted(FINISHED_STATUSES), finished_at__isnull=False)
                    | (~Q(status__in=sorted(FINISHED_STATUSES)) & Q(finished_at__isnull=True))
                ),
                name="operation_finished_at_iff_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES
