"""Every edge of the order state table, and every pair the table refuses."""

import pytest

from orders.enums import TERMINAL_STATUSES, OrderEventType, OrderStatus
from orders.state import ORDER_STATE_TABLE, InvalidOrderTransition, order_next_status

ALL_PAIRS = [(s, e) for s in OrderStatus for e in OrderEventType]
REFUSED = [pair for pair in ALL_PAIRS if pair not in ORDER_STATE_TABLE]


@pytest.mark.parametrize(("status", "event"), list(ORDER_STATE_TABLE))
def test_every_edge_of_the_table(status, event):
    assert order_next_status(status=status, event=event) == ORDER_STATE_TABLE[(status, event)]


@pytest.mark.parametrize(("status", "event"), REFUSED)
def test_every_pair_outside_the_table_is_refused(status, event):
    with pytest.raises(InvalidOrderTransition) as caught:
        order_next_status(status=status, event=event)
    assert caught.value.code == "INVALID_ORDER_STATE"
    assert caught.value.status_code == 409
    assert caught.value.details == {"status": status, "event": event}


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_terminal_statuses_have_no_way_out(status):
    assert [e for (s, e) in ORDER_STATE_TABLE if s == status] == []


def test_created_is_never_an_edge_it_is_the_birth_of_an_order():
    assert all(e != OrderEventType.CREATED for (_, e) in ORDER_STATE_TABLE)


def test_unknown_names_are_refused_like_missing_edges():
    with pytest.raises(InvalidOrderTransition):
        order_next_status(status="open", event="teleported")
