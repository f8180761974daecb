"""Domain errors of operations."""

from kernel.errors import ApplicationError


class OperationNotFound(ApplicationError):
    code = "OPERATION_NOT_FOUND"
    status_code = 404


class OperationNotCancelable(ApplicationError):
    """The operation has finished (completed, failed or cancelled): there is nothing to stop."""

    code = "OPERATION_NOT_CANCELABLE"
    status_code = 409


class OperationCancelled(Exception):
    """Raised at a checkpoint of a running task whose operation was asked to stop.

    Carries the metrics the task had reached, which the operation keeps.
    """

    def __init__(self, metrics: dict | None = None):
        super().__init__("operation cancelled")
        self.metrics = metrics


class OperationAbandoned(Exception):
    """Raised at a checkpoint when the operation is no longer running (the stale check failed it
    while this task was still alive): the task stops without writing anything more."""
