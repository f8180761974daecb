"""Prepared: an ORM query compiled once, then run with new values, gives the ORM's own rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kernel.db.expressions import ExactSum
from kernel.db.prepared import Prepared
from orders.models import Order

pytestmark = pytest.mark.django_db


def _orders_of(p):
    return (
        Order.objects.filter(account_id=p.account_id, created_at__gt=p.since)
        .values("account_id")
        .annotate(n=Count("id"), quantity=ExactSum("quantity", filter=Q(side=p.side)))
        .values_list("n", "quantity")
    )


def _order(account, aapl, n: int, side: str, quantity: str) -> Order:
    return Order.objects.create(
        client_order_id=f"p{n}", account=account, instrument=aapl, side=side,
        order_type="market", time_in_force="gtc", quantity=Decimal(quantity),
    )  # fmt: skip


def test_prepared_rows_equal_the_orm_for_each_call_and_compile_once(account, aapl):
    # given: orders of one account, on both sides, with exact decimal quantities
    for n, (side, quantity) in enumerate(
        [("buy", "1.1234567891"), ("buy", "2"), ("sell", "0.0000000001")]
    ):
        _order(account, aapl, n, side, quantity)
    builds = []

    def build(p):
        builds.append(p)
        return _orders_of(p)

    prepared = Prepared(
        build,
        account_id=models.BigIntegerField(),
        since=models.DateTimeField(),
        side=models.CharField(),
    )
    hour_ago = timezone.now() - timedelta(hours=1)

    # when: run for each side, and for a window after every order
    buys = prepared.rows(account_id=account.pk, since=hour_ago, side="buy")
    sells = prepared.rows(account_id=account.pk, since=hour_ago, side="sell")
    later = prepared.rows(account_id=account.pk, since=timezone.now(), side="buy")

    # then: the ORM's own answers, compiled once
    assert buys == [[3, Decimal("3.1234567891")]]
    assert sells == [[3, Decimal("0.0000000001")]]
    assert later == []
    assert len(builds) == 1
    orm = (
        Order.objects.filter(account_id=account.pk, created_at__gt=hour_ago)
        .values("account_id")
        .annotate(n=Count("id"), quantity=ExactSum("quantity", filter=Q(side="sell")))
        .values_list("n", "quantity")
    )
    assert [list(row) for row in orm] == sells


def test_prepared_runs_one_statement_per_call(account, aapl):
    _order(account, aapl, 1, "buy", "1")
    prepared = Prepared(
        _orders_of,
        account_id=models.BigIntegerField(),
        since=models.DateTimeField(),
        side=models.CharField(),
    )
    prepared.rows(account_id=account.pk, since=timezone.now(), side="buy")

    with CaptureQueriesContext(connection) as queries:
        prepared.rows(account_id=account.pk, since=timezone.now(), side="sell")

    assert len(queries.captured_queries) == 1
    assert queries.captured_queries[0]["sql"].startswith("SELECT")


def test_a_parameter_the_query_does_not_use_is_an_error(account):
    prepared = Prepared(
        lambda p: Order.objects.filter(account_id=p.account_id).values_list("id"),
        account_id=models.BigIntegerField(),
        since=models.DateTimeField(),
    )

    with pytest.raises(ValueError, match="since"):
        prepared.rows(account_id=account.pk, since=timezone.now())


def test_objects_loads_model_instances_as_the_orm_does(account, aapl):
    order = _order(account, aapl, 1, "buy", "1.5")
    prepared = Prepared(
        lambda p: Order.objects.filter(account_id=p.account_id).order_by("pk")[:1],
        account_id=models.BigIntegerField(),
    )

    (loaded,) = prepared.objects(account_id=account.pk)

    orm = Order.objects.get(pk=order.pk)
    assert isinstance(loaded, Order)
    assert not loaded._state.adding
    assert [getattr(loaded, f.attname) for f in Order._meta.concrete_fields] == [
        getattr(orm, f.attname) for f in Order._meta.concrete_fields
    ]
    assert prepared.objects(account_id=account.pk + 1000) == []


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_outside_a_transaction_is_refused_as_the_orm_refuses_it(account):
    # SQLite has no FOR UPDATE, and the ORM runs such a read there anyway: so does Prepared.
    prepared = Prepared(
        lambda p: Order.objects.select_for_update().filter(account_id=p.account_id),
        account_id=models.BigIntegerField(),
    )
    with transaction.atomic():
        assert prepared.objects(account_id=account.pk) == []

    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            prepared.objects(account_id=account.pk)


def test_objects_refuses_a_query_with_joined_models(account):
    prepared = Prepared(
        lambda p: Order.objects.select_related("instrument").filter(account_id=p.account_id),
        account_id=models.BigIntegerField(),
    )

    with pytest.raises(TypeError, match="without joins"):
        prepared.objects(account_id=account.pk)
