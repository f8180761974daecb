"""The order state machine against an edge list written independently of it.

The expected edges are `tests.money.reference.EDGES`, copied by hand from docs/orders.md; the
money harness checks every order's event history against the same list.
"""

import pytest

from orders.enums import TERMINAL_STATUSES, OrderEventType, OrderStatus
from orders.state import ORDER_STATE_TABLE, InvalidOrderTransition, order_next_status
from tests.money.reference import EDGES

ALL_PAIRS = [(s.value, e.value) for s in OrderStatus for e in OrderEventType]
REFUSED = [pair for pair in ALL_PAIRS if pair not in EDGES]


def test_the_table_has_exactly_the_documented_edges():
    table = {(str(s), str(e)): str(to) for (s, e), to in ORDER_STATE_TABLE.items()}
    assert table == EDGES


@pytest.mark.parametrize(("status", "event"), sorted(EDGES))
def test_every_documented_edge_moves_the_order(status, event):
    assert order_next_status(status=status, event=event) == EDGES[(status, event)]


@pytest.mark.parametrize("status", [s.value for s in OrderStatus])
def test_each_status_refuses_every_event_not_documented_for_it(status):
    for event in [e for s, e in REFUSED if s == status]:
        with pytest.raises(InvalidOrderTransition) as caught:
            order_next_status(status=status, event=event)
        assert caught.value.code == "INVALID_ORDER_STATE"
        assert caught.value.status_code == 409
        assert caught.value.details == {"status": status, "event": event}


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_terminal_statuses_have_no_way_out(status):
    assert [e for (s, e) in EDGES if s == status] == []


def test_created_is_never_an_edge_it_is_the_birth_of_an_order():
    assert all(e != "created" for (_, e) in EDGES)


def test_unknown_names_are_refused_like_missing_edges():
    with pytest.raises(InvalidOrderTransition):
        order_next_status(status="open", event="teleported")
