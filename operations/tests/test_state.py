"""The operation state table: every edge, and every refused event per status."""

import pytest

from operations.enums import OperationEvent, OperationStatus
from operations.state import (
    OPERATION_STATE_TABLE,
    InvalidOperationTransition,
    operation_next_status,
)


@pytest.mark.parametrize(("edge", "expected"), sorted(OPERATION_STATE_TABLE.items()))
def test_every_edge_of_the_table(edge, expected):
    status, event = edge
    assert operation_next_status(status=status, event=event) == expected


@pytest.mark.parametrize("status", OperationStatus.values)
def test_every_event_missing_from_the_table_is_refused(status):
    refused = [e for e in OperationEvent.values if (status, e) not in OPERATION_STATE_TABLE]
    for event in refused:
        with pytest.raises(InvalidOperationTransition) as raised:
            operation_next_status(status=status, event=event)
        assert raised.value.code == "INVALID_OPERATION_STATE"
        assert raised.value.status_code == 409
        assert raised.value.details == {"status": status, "event": event}


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_finished_operations_take_no_event(status):
    assert not [edge for edge in OPERATION_STATE_TABLE if edge[0] == status]


def test_unknown_names_are_refused_like_missing_edges():
    with pytest.raises(InvalidOperationTransition):
        operation_next_status(status="paused", event="started")
    with pytest.raises(InvalidOperationTransition):
        operation_next_status(status="pending", event="resumed")
