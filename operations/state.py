"""The operation lifecycle: one literal table of (status, event) -> status."""

from kernel.errors import ApplicationError
from kernel.state import state_next
from operations.enums import OperationEvent as E
from operations.enums import OperationStatus as S

# Every allowed edge. A (status, event) pair that is not here is refused and changes nothing.
OPERATION_STATE_TABLE: dict[tuple[S, E], S] = {
    # A worker (or the in-process runner) takes the job.
    (S.PENDING, E.STARTED): S.RUNNING,
    # Cancelled before any worker took it: the queued task is revoked, and a task that is
    # delivered anyway finds the operation finished and does nothing.
    (S.PENDING, E.CANCELLED): S.CANCELLED,
    # The job could not even be started (its input vanished, the broker refused it).
    (S.PENDING, E.FAILED): S.FAILED,
    (S.RUNNING, E.COMPLETED): S.COMPLETED,
    # The task raised, or the stale check found that its worker stopped heartbeating (killed).
    (S.RUNNING, E.FAILED): S.FAILED,
    # The task saw the cancel request at a checkpoint and stopped, keeping its partial metrics.
    (S.RUNNING, E.CANCELLED): S.CANCELLED,
    # The broker redelivered the task of a worker that died (acks_late) before the stale check
    # failed the operation; the job is idempotent, so it runs again from the start.
    (S.RUNNING, E.RESTARTED): S.RUNNING,
}


class InvalidOperationTransition(ApplicationError):
    code = "INVALID_OPERATION_STATE"
    status_code = 409


def operation_next_status(*, status: str, event: str) -> S:
    """Return the status `event` moves an operation in `status` to.

    Raises InvalidOperationTransition when the table has no such edge.
    """
    return state_next(
        OPERATION_STATE_TABLE,
        states=S,
        events=E,
        status=status,
        event=event,
        refusal=InvalidOperationTransition,
        message=f"An operation in status {status!r} cannot take event {event!r}",
    )
