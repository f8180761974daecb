"""rows_insert writes what Model.save writes, in one statement, and numbers the rows in order."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from kernel.db.insert import row_insert_unless_taken, rows_insert
from orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        kind="state_change",
        action=f"test.{n}",
        object_type="order",
        object_id=str(n),
        actor_username="tester",
        after={"price": "101.25", "n": n, "nested": {"list": [1, "two"]}},
        created_at=timezone.now(),
    )


def test_rows_insert_writes_every_row_in_one_statement_with_keys_in_order():
    saved = _entry(0)
    saved.save(force_insert=True)
    entries = [_entry(n) for n in range(1, 6)]

    with CaptureQueriesContext(connection) as queries:
        rows_insert(entries)

    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert [e.pk for e in entries] == list(range(saved.pk + 1, saved.pk + 6))
    for n, entry in enumerate(entries, start=1):
        row = AuditEntry.objects.get(pk=entry.pk)
        assert (row.action, row.object_id, row.after) == (f"test.{n}", str(n), entry.after)
        assert row.created_at == entry.created_at
        assert not entry._state.adding


def test_rows_insert_stores_decimals_exactly_and_sets_auto_fields(account, aapl):
    order = Order.objects.create(
        client_order_id="insert", account=account, instrument=aapl, side="buy",
        order_type="market", time_in_force="gtc", quantity=Decimal(1),
    )  # fmt: skip
    exact = Decimal("123456789.1234567891")
    (event,) = rows_insert(
        [OrderEvent(order=order, type="created", status_after="new", quantity=exact, price=exact)]
    )
    row = OrderEvent.objects.get(pk=event.pk)
    assert (row.quantity, row.price) == (exact, exact)
    assert row.created_at is not None
    assert row.created_at == event.created_at
    assert row.data == {}


def test_rows_insert_of_nothing_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert rows_insert([]) == []
    assert queries.captured_queries == []


def _order(account, aapl, client_order_id: str, quantity: Decimal = Decimal(1)) -> Order:
    return Order(
        client_order_id=client_order_id, account=account, instrument=aapl, side="buy",
        order_type="market", time_in_force="gtc", quantity=quantity,
    )  # fmt: skip


def test_row_insert_unless_taken_writes_a_new_row_in_one_statement(account, aapl):
    order = _order(account, aapl, "fresh")

    with CaptureQueriesContext(connection) as queries:
        written = row_insert_unless_taken(order, unique=("account", "client_order_id"))

    assert written is True
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert Order.objects.get(pk=order.pk).client_order_id == "fresh"


def test_row_insert_unless_taken_leaves_a_taken_value_and_the_transaction_usable(account, aapl):
    first = _order(account, aapl, "taken")
    row_insert_unless_taken(first, unique=("account", "client_order_id"))
    with transaction.atomic():
        second = _order(account, aapl, "taken", quantity=Decimal(7))

        written = row_insert_unless_taken(second, unique=("account", "client_order_id"))

        # then: nothing written, no key set, and the transaction goes on (no savepoint needed)
        assert written is False
        assert second.pk is None
        assert Order.objects.filter(account=account, client_order_id="taken").count() == 1
    assert Order.objects.get(pk=first.pk).quantity == Decimal(1)


def test_row_insert_unless_taken_still_raises_for_another_constraint(account, aapl):
    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert_unless_taken(
            _order(account, aapl, "zero", quantity=Decimal(0)),
            unique=("account", "client_order_id"),
        )
