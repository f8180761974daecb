"""The deployment lifecycle table: every edge, and the moves it refuses."""

import pytest

from deployments.enums import DeploymentEvent as E
from deployments.enums import DeploymentStatus as S
from deployments.state import (
    DEPLOYMENT_STATE_TABLE,
    InvalidDeploymentTransition,
    deployment_next_status,
)


@pytest.mark.parametrize(("edge", "to"), list(DEPLOYMENT_STATE_TABLE.items()))
def test_every_edge_of_the_table(edge, to):
    status, event = edge
    assert deployment_next_status(status=status, event=event) == to


@pytest.mark.parametrize(
    ("status", "event"),
    [(S.RUNNING, E.RESUMED), (S.PAUSED, E.PAUSED), (S.PAUSED, E.FAILED), (S.STOPPED, E.RESUMED)],
)
def test_a_move_off_the_table_is_refused(status, event):
    with pytest.raises(InvalidDeploymentTransition) as refused:
        deployment_next_status(status=status, event=event)
    assert refused.value.code == "INVALID_DEPLOYMENT_STATE"


def test_stopped_is_final():
    assert not [edge for edge in DEPLOYMENT_STATE_TABLE if edge[0] == S.STOPPED]
