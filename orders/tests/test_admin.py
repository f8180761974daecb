"""Admin: orders filterable, cancel through the service; fills and events read-only."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from orders.models import Fill, Order
from orders.services import order_submit
from orders.tests.helpers import balance_of, fill

D = Decimal


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("staff", password="pw-not-used"))
    return client


def _order(account, quantity="10"):
    return order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D(quantity),
        limit_price=D("100.00"),
    )


def test_cancel_selected_calls_the_service(staff_client, account, aapl):
    working = _order(account)
    done = _order(account, quantity="1")
    fill(done, quantity="1", price="100")

    response = staff_client.post(
        "/admin/orders/order/",
        {"action": "cancel_selected", "_selected_action": [working.pk, done.pk]},
        follow=True,
    )

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "1 order(s) canceled."
    assert messages[1].startswith(f"Refused: {done.pk}: Order {done.pk} is filled")
    working.refresh_from_db()
    assert working.status == "canceled"
    assert list(working.events.values_list("type", flat=True))[-1] == "canceled"
    assert balance_of(account).locked == 0


def test_order_changelist_filters_by_status(staff_client, account, aapl):
    working = _order(account)
    _order(account, quantity="1")
    Order.objects.exclude(pk=working.pk).update(status="canceled", locked_amount=0)
    response = staff_client.get("/admin/orders/order/?status__exact=pending")
    assert [o.pk for o in response.context["cl"].result_list] == [working.pk]


def test_fills_and_events_are_read_only(staff_client, account, aapl):
    order = _order(account)
    fill(order, quantity="1", price="100")
    the_fill = Fill.objects.get()
    assert staff_client.get("/admin/orders/fill/add/").status_code == 403
    assert staff_client.post(f"/admin/orders/fill/{the_fill.pk}/delete/").status_code == 403
    assert staff_client.get("/admin/orders/orderevent/add/").status_code == 403
    assert staff_client.get(f"/admin/orders/fill/{the_fill.pk}/change/").status_code == 200
