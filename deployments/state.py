"""The deployment lifecycle: one literal table of (status, event) -> status."""

from deployments.enums import DeploymentEvent as E
from deployments.enums import DeploymentStatus as S
from kernel.errors import ApplicationError
from kernel.state import state_next

# Every allowed edge. A (status, event) pair that is not here is refused and changes nothing.
DEPLOYMENT_STATE_TABLE: dict[tuple[S, E], S] = {
    (S.RUNNING, E.PAUSED): S.PAUSED,
    # Trading stopped or halted for the account: the engine pauses it. It does not come back
    # by itself when trading restarts; its owner resumes it, on the record.
    (S.RUNNING, E.HELD): S.PAUSED,
    (S.PAUSED, E.RESUMED): S.RUNNING,
    (S.RUNNING, E.STOPPED): S.STOPPED,
    (S.PAUSED, E.STOPPED): S.STOPPED,
    # An error while running stops it, with the error kept on the row.
    (S.RUNNING, E.FAILED): S.STOPPED,
}


class InvalidDeploymentTransition(ApplicationError):
    code = "INVALID_DEPLOYMENT_STATE"
    status_code = 409


def deployment_next_status(*, status: str, event: str) -> S:
    """Return the status `event` moves a deployment in `status` to.

    Raises InvalidDeploymentTransition when the table has no such edge.
    """
    return state_next(
        DEPLOYMENT_STATE_TABLE,
        states=S,
        events=E,
        status=status,
        event=event,
        refusal=InvalidDeploymentTransition,
        message=f"A deployment that is {status} cannot be {event}",
    )
