"""Races on PostgreSQL with real threads: cancel against fill, one idempotency key many times."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from access.tests.helpers import key_make, simple_client
from orders.errors import OrderNotCancelable
from orders.models import Fill, Order
from orders.services import order_accept, order_cancel, order_submit
from orders.state import InvalidOrderTransition
from orders.tests.helpers import fill, invariants_check

D = Decimal
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _in_thread(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()

    return run


@pytest.mark.parametrize("fill_quantity", ["10", "4"])
def test_cancel_racing_a_fill_ends_in_one_consistent_state(account, aapl, fill_quantity):
    outcomes = set()
    for _attempt in range(15):
        # given
        order = order_submit(
            account=account,
            symbol="AAPL",
            side="buy",
            order_type="limit",
            quantity=D("10"),
            limit_price=D("100.00"),
        )
        order_accept(order_id=order.pk)
        barrier = threading.Barrier(2)

        @_in_thread
        def cancel(order=order, barrier=barrier):
            barrier.wait()
            try:
                return order_cancel(order_id=order.pk).status
            except OrderNotCancelable:
                return "refused"

        @_in_thread
        def execute(order=order, barrier=barrier):
            barrier.wait()
            try:
                return "filled" if fill(order, quantity=fill_quantity, price="99.90") else "dup"
            except InvalidOrderTransition:
                return "refused"

        # when
        with ThreadPoolExecutor(max_workers=2) as pool:
            cancel_result, fill_result = (
                f.result() for f in [pool.submit(cancel), pool.submit(execute)]
            )
        # then
        order.refresh_from_db()
        fills = Fill.objects.filter(order=order).count()
        if order.status == "filled":
            assert (cancel_result, fill_result, fills) == ("refused", "filled", 1)
        else:
            assert order.status == "canceled"
            assert cancel_result == "canceled"
            assert fills == (1 if fill_result == "filled" else 0)
            assert order.filled_quantity == (D(fill_quantity) if fills else 0)
        assert order.locked_amount == 0
        outcomes.add((order.status, fills))
        invariants_check(account)
    # Every attempt ended in one of the consistent states asserted above.
    assert outcomes <= {("filled", 1), ("canceled", 0), ("canceled", 1)}


def test_fifty_concurrent_submissions_with_one_idempotency_key_make_one_order(
    trader, account, aapl
):
    api_key, secret = key_make(user=trader, account=account, scopes=("read", "trade"))
    body = json.dumps(
        {
            "symbol": "AAPL",
            "side": "buy",
            "order_type": "limit",
            "quantity": "1",
            "limit_price": "100.00",
        }
    )
    barrier = threading.Barrier(50)

    @_in_thread
    def submit(_):
        client = simple_client(api_key, secret)
        barrier.wait()
        response = client.post(
            "/api/v1/orders",
            data=body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="one-key",
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(submit, range(50)))

    statuses = sorted({status for status, _ in results})
    assert set(statuses) <= {201, 409}
    assert Order.objects.count() == 1
    created = [body for status, body in results if status == 201]
    assert created
    assert {b["id"] for b in created} == {Order.objects.get().pk}
    conflicts = [body["error"]["code"] for status, body in results if status == 409]
    assert set(conflicts) <= {"IDEMPOTENCY_IN_FLIGHT"}
    invariants_check(account)
