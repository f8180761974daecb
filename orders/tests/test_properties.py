"""Property: random sequences of orders, fills, cancels and expiries keep the books exact."""

import contextlib
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.tests.factories import AccountFactory
from marketdata.tests.factories import InstrumentFactory
from orders.enums import WORKING_STATUSES
from orders.errors import RiskRejected
from orders.models import Order
from orders.services import order_cancel, order_expire, order_stop_trigger, order_submit
from orders.tests.helpers import T0, fill, invariants_check, quote_set
from portfolio.services import balance_deposit

D = Decimal

submit = st.tuples(
    st.just("submit"),
    st.sampled_from(["buy", "sell"]),
    st.sampled_from(["limit", "market", "stop", "stop_limit"]),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=9000, max_value=11000),
)
act = st.tuples(
    st.sampled_from(["fill", "cancel", "expire"]),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=9000, max_value=11000),
)
requote = st.tuples(st.just("quote"), st.integers(min_value=9000, max_value=11000))


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.one_of(submit, act, requote), min_size=1, max_size=25))
def test_books_stay_exact_after_every_step(steps):
    # given: a fresh account with a little cash, so buying power refusals happen too
    account = AccountFactory()
    instrument = InstrumentFactory(symbol="PROP", tick_size=D("0.01"), lot_size=D("1"))
    balance_deposit(account=account, currency="USD", amount=D("5000"))
    quote_set("PROP", bid="99.99", ask="100.01")
    for step in steps:
        # when
        if step[0] == "submit":
            _, side, order_type, quantity, cents = step
            price = D(cents) / 100
            with contextlib.suppress(RiskRejected):
                order_submit(
                    account=account,
                    symbol=instrument.symbol,
                    side=side,
                    order_type=order_type,
                    quantity=D(quantity),
                    limit_price=price if order_type in ("limit", "stop_limit") else None,
                    stop_price=price if order_type in ("stop", "stop_limit") else None,
                )
        elif step[0] == "quote":
            cents = D(step[1])
            quote_set("PROP", bid=str((cents - 1) / 100), ask=str((cents + 1) / 100))
        else:
            action, index, quantity, cents = step
            working = list(
                Order.objects.filter(account=account, status__in=list(WORKING_STATUSES))
                .order_by("id")
                .values_list("id", flat=True)
            )
            if not working:
                continue
            order = Order.objects.get(pk=working[index % len(working)])
            if action == "fill":
                remaining = order.quantity - order.filled_quantity
                price = D(cents) / 100
                if order.order_type in ("stop", "stop_limit") and order.triggered_at is None:
                    order_stop_trigger(order_id=order.pk, triggered_at=T0)
                if order.limit_price is not None:
                    # A fill is at the limit or better, never beyond it.
                    worse = (
                        price > order.limit_price
                        if order.side == "buy"
                        else price < order.limit_price
                    )
                    price = order.limit_price if worse else price
                if order.protection_price is not None:
                    beyond = (
                        price > order.protection_price
                        if order.side == "buy"
                        else price < order.protection_price
                    )
                    price = order.protection_price if beyond else price
                fill(
                    order,
                    quantity=str(min(D(quantity), remaining)),
                    price=str(price),
                    fee=str((price / 100).quantize(D("0.01"))),
                )
            elif action == "cancel":
                order_cancel(order_id=order.pk)
            else:
                order_expire(order_id=order.pk)
        # then
        invariants_check(account)
