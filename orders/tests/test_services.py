"""Order services: validation, entry, modify, cancel and the venue-facing lifecycle."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from orders.enums import OrderEventType, OrderStatus
from orders.errors import (
    DuplicateClientOrderId,
    FillRefused,
    OrderNotCancelable,
    OrderValidationError,
    RiskRejected,
    VersionMismatch,
)
from orders.models import Fill, Order, OrderEvent
from orders.selectors import order_working_list
from orders.services import (
    order_accept,
    order_cancel,
    order_cancel_all,
    order_cancel_by_venue,
    order_expire,
    order_modify,
    order_preview,
    order_reject_by_venue,
    order_stop_trigger,
    order_submit,
)
from orders.state import InvalidOrderTransition
from orders.tests.helpers import T0, balance_of, fill, invariants_check
from portfolio.models import LedgerEntry, Position
from risk.services import risk_config_update

D = Decimal
pytestmark = pytest.mark.django_db


def buy_limit(account, *, quantity="10", price="100.00", **kwargs):
    return order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D(quantity),
        limit_price=D(price),
        **kwargs,
    )


def state_of(account):
    """Everything a refused action must leave as it was."""
    balance = balance_of(account)
    return {
        "orders": list(Order.objects.order_by("id").values()),
        "events": OrderEvent.objects.count(),
        "fills": Fill.objects.count(),
        "ledger": LedgerEntry.objects.count(),
        "positions": list(Position.objects.order_by("id").values()),
        "balance": (balance.total, balance.available, balance.locked) if balance else None,
        "audit": AuditEntry.objects.count(),
    }


# --- validation -----------------------------------------------------------------------------

BASE = {"symbol": "AAPL", "side": "buy", "order_type": "limit", "time_in_force": "gtc"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"limit_price": None}, "limit_price", "Required for limit orders."),
        ({"order_type": "market"}, "limit_price", "Not allowed for market orders."),
        ({"order_type": "stop"}, "stop_price", "Required for stop orders."),
        ({"order_type": "stop_limit"}, "stop_price", "Required for stop_limit orders."),
        ({"order_type": "stop", "limit_price": None}, "stop_price", "Required for stop orders."),
        ({"quantity": D("0")}, "quantity", "Must be greater than 0."),
        ({"quantity": D("-1")}, "quantity", "Must be greater than 0."),
        ({"quantity": D("1.5")}, "quantity", "Must be a multiple of the lot size 1."),
        ({"limit_price": D("100.005")}, "limit_price", "Must be a multiple of the tick size 0.01."),
        ({"limit_price": D("0")}, "limit_price", "Must be greater than 0."),
        ({"stop_loss": D("95.001")}, "stop_loss", "Must be a multiple of the tick size 0.01."),
        ({"time_in_force": "gtd"}, "expire_at", "Required for gtd orders."),
        ({"expire_at": T0}, "expire_at", "Only gtd orders take expire_at."),
        ({"symbol": "NOPE"}, "symbol", "Unknown symbol 'NOPE'."),
    ],
)
def test_validation_names_the_field(account, aapl, changes, field, message):
    # given
    arguments = {**BASE, "quantity": D("10"), "limit_price": D("100.00"), **changes}
    before = state_of(account)
    # when
    with pytest.raises(OrderValidationError) as caught:
        order_submit(account=account, **arguments)
    # then
    assert caught.value.status_code == 400
    assert caught.value.code == "VALIDATION_ERROR"
    assert caught.value.details["fields"][field] == [message]
    assert state_of(account) == before


def test_gtd_expire_at_must_be_in_the_future(account, aapl):
    with pytest.raises(OrderValidationError) as caught:
        buy_limit(account, time_in_force="gtd", expire_at=timezone.now() - timedelta(seconds=1))
    assert caught.value.details["fields"] == {"expire_at": ["Must be in the future."]}


def test_halted_instrument_is_refused_on_the_symbol_field(account, aapl):
    aapl.status = "halted"
    aapl.save()
    with pytest.raises(OrderValidationError) as caught:
        buy_limit(account)
    assert caught.value.details["fields"] == {"symbol": ["AAPL is not trading (halted)."]}
    assert Order.objects.count() == 0


def test_crypto_lot_and_tick(account, btc):
    order = order_submit(
        account=account,
        symbol="BTCUSD",
        side="buy",
        order_type="limit",
        quantity=D("0.002"),
        limit_price=D("49000.5"),
    )
    assert order.status == OrderStatus.PENDING
    with pytest.raises(OrderValidationError) as caught:
        order_submit(
            account=account,
            symbol="BTCUSD",
            side="buy",
            order_type="limit",
            quantity=D("0.0015"),
            limit_price=D("49000.3"),
        )
    assert caught.value.details["fields"] == {
        "quantity": ["Must be a multiple of the lot size 0.001."],
        "limit_price": ["Must be a multiple of the tick size 0.5."],
    }


# --- entry ----------------------------------------------------------------------------------


def test_submit_locks_notional_plus_fee_and_hands_over(account, aapl):
    # when
    order = buy_limit(account)
    # then: 10 x 100 = 1000, plus the highest venue fee rate (0.0005)
    assert order.status == OrderStatus.PENDING
    assert order.locked_amount == D("1000.5")
    balance = balance_of(account)
    assert (balance.total, balance.available, balance.locked) == (
        D("100000"),
        D("98999.5"),
        D("1000.5"),
    )
    assert list(order.events.values_list("type", "status_before", "status_after")) == [
        ("created", "", "new"),
        ("submitted", "new", "pending"),
    ]
    assert list(
        AuditEntry.objects.filter(object_type="order", object_id=str(order.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["order.created", "order.submitted"]
    assert order_working_list() == [order]
    assert order_working_list(symbols=["MSFT"]) == []
    invariants_check(account)


def test_market_buy_locks_at_its_protection_price(account, aapl, settings):
    settings.RISK_MARKET_PROTECTION_PCT = "1"
    order = order_submit(
        account=account, symbol="aapl", side="buy", order_type="market", quantity=D("10")
    )
    # ask 100.10 + 1% = 101.101, up to the tick: 101.11; x 10 = 1011.10, + 0.05% fee reserve
    assert (order.protection_price, order.lock_price) == (D("101.11"), D("101.11"))
    assert order.locked_amount == D("1011.10") * D("1.0005")
    invariants_check(account)


def test_market_buy_without_a_band_locks_at_the_buffer(account, aapl, settings):
    settings.ORDER_MARKET_LOCK_BUFFER_BPS = "200"
    risk_config_update(account=account, changes={"market_protection_pct": None})
    order = order_submit(
        account=account, symbol="aapl", side="buy", order_type="market", quantity=D("10")
    )
    # ask 100.10 + 2% = 102.102 -> 102.11; no band: the venue may fill at any price it can pay
    assert (order.protection_price, order.lock_price) == (None, D("102.11"))
    assert order.locked_amount == D("1021.10") * D("1.0005")


def test_sell_locks_no_cash(account, aapl):
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="sell",
        order_type="limit",
        quantity=D("5"),
        limit_price=D("101.00"),
    )
    assert order.locked_amount == 0
    assert balance_of(account).locked == 0


def test_preview_writes_nothing_and_gives_the_verdict(account, aapl):
    before = state_of(account)
    preview = order_preview(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("10"),
        limit_price=D("100.00"),
    )
    assert preview == {
        "verdict": "accepted",
        "violations": [],
        "symbol": "AAPL",
        "currency": "USD",
        "estimated_price": D("100.00"),
        "notional": D("1000"),
        "fee": D("0.5"),
        "locked_amount": D("1000.5"),
        "protection_price": None,
        "available": D("100000"),
    }
    too_big = order_preview(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("2000"),
        limit_price=D("100.00"),
    )
    assert too_big["verdict"] == "rejected"
    assert [v["rule"] for v in too_big["violations"]] == ["buying_power"]
    assert state_of(account) == before


def test_no_buying_power_rejects_and_keeps_the_order(account, aapl):
    # given
    before_balance = balance_of(account)
    # when
    with pytest.raises(RiskRejected) as caught:
        buy_limit(account, quantity="2000")
    # then
    order = Order.objects.get()
    assert caught.value.status_code == 422
    assert caught.value.details == {
        "order_id": order.pk,
        "violations": [
            {
                "rule": "buying_power",
                "limit": "100000",
                "value": "200100",
                "message": "The order needs 200100 USD available; 100000 USD is.",
            }
        ],
    }
    assert order.status == OrderStatus.REJECTED
    assert order.reject_code == "RISK_REJECTED"
    assert order.locked_amount == 0
    assert list(order.events.values_list("type", flat=True)) == ["created", "rejected"]
    after = balance_of(account)
    assert (after.total, after.available, after.locked) == (
        before_balance.total,
        before_balance.available,
        before_balance.locked,
    )
    assert order_working_list() == []


def test_client_order_id_is_unique_per_account_for_good(account, other_account, aapl):
    first = buy_limit(account, client_order_id="abc")
    order_cancel(order_id=first.pk)
    before = state_of(account)
    with pytest.raises(DuplicateClientOrderId) as caught:
        buy_limit(account, client_order_id="abc")
    assert caught.value.status_code == 409
    assert state_of(account) == before
    # Another account may use the same client id.
    assert buy_limit(other_account, client_order_id="abc").client_order_id == "abc"


# --- modify ---------------------------------------------------------------------------------


def test_modify_relocks_bumps_version_and_records_the_event(account, aapl):
    order = buy_limit(account)
    order_accept(order_id=order.pk)
    modified = order_modify(
        order_id=order.pk, quantity=D("20"), limit_price=D("99.00"), expected_version=1
    )
    assert modified.version == 2
    assert (modified.quantity, modified.limit_price) == (D("20"), D("99.00"))
    assert modified.locked_amount == D("1980") * D("1.0005")
    assert balance_of(account).locked == modified.locked_amount
    event = modified.events.order_by("id").last()
    assert (event.type, event.status_before, event.status_after) == ("modified", "open", "open")
    assert event.data == {"quantity": "20", "limit_price": "99"}
    invariants_check(account)


def test_modify_with_a_stale_version_changes_nothing(account, aapl):
    order = buy_limit(account)
    order_accept(order_id=order.pk)
    before = state_of(account)
    with pytest.raises(VersionMismatch) as caught:
        order_modify(order_id=order.pk, quantity=D("20"), expected_version=7)
    assert caught.value.status_code == 412
    assert caught.value.details == {"version": 1, "expected": 7}
    assert state_of(account) == before


def test_modify_quantity_not_below_filled(account, aapl):
    order = buy_limit(account)
    order_accept(order_id=order.pk)
    fill(order, quantity="4", price="100")
    before = state_of(account)
    with pytest.raises(OrderValidationError) as caught:
        order_modify(order_id=order.pk, quantity=D("4"))
    assert caught.value.details["fields"] == {"quantity": ["Must be above the filled quantity 4."]}
    assert state_of(account) == before
    modified = order_modify(order_id=order.pk, quantity=D("6"))
    assert modified.status == OrderStatus.PARTIALLY_FILLED
    assert modified.locked_amount == D("200.1")
    invariants_check(account)


@pytest.mark.parametrize("status", ["pending", "filled", "canceled", "rejected", "expired"])
def test_modify_only_while_open_or_partially_filled(account, aapl, status):
    order = buy_limit(account)
    Order.objects.filter(pk=order.pk).update(status=status)
    before = state_of(account)
    with pytest.raises(InvalidOrderTransition):
        order_modify(order_id=order.pk, quantity=D("20"))
    assert state_of(account) == before


def test_modify_beyond_buying_power_is_rejected_and_changes_nothing(account, aapl):
    order = buy_limit(account)
    order_accept(order_id=order.pk)
    before = state_of(account)
    with pytest.raises(RiskRejected) as caught:
        order_modify(order_id=order.pk, quantity=D("2000"))
    assert caught.value.details["violations"][0]["rule"] == "buying_power"
    assert state_of(account) == before


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_releases_the_lock_and_is_idempotent(account, aapl):
    order = buy_limit(account)
    canceled = order_cancel(order_id=order.pk)
    assert canceled.status == OrderStatus.CANCELED
    assert canceled.locked_amount == 0
    assert balance_of(account).available == D("100000")
    events = OrderEvent.objects.count()
    audit = AuditEntry.objects.count()
    assert order_cancel(order_id=order.pk).status == OrderStatus.CANCELED
    assert (OrderEvent.objects.count(), AuditEntry.objects.count()) == (events, audit)
    invariants_check(account)


def test_cancel_keeps_the_fills_it_had(account, aapl):
    order = buy_limit(account)
    order_accept(order_id=order.pk)
    fill(order, quantity="3", price="99.50")
    canceled = order_cancel(order_id=order.pk)
    assert (canceled.status, canceled.filled_quantity) == (OrderStatus.CANCELED, D("3"))
    assert Position.objects.get().quantity == D("3")
    assert balance_of(account).locked == 0
    invariants_check(account)


@pytest.mark.parametrize("status", ["filled", "rejected", "expired"])
def test_cancel_refused_when_done(account, aapl, status):
    order = buy_limit(account)
    Order.objects.filter(pk=order.pk).update(status=status, locked_amount=0)
    before = state_of(account)
    with pytest.raises(OrderNotCancelable) as caught:
        order_cancel(order_id=order.pk)
    assert caught.value.status_code == 409
    assert caught.value.details == {"order_id": order.pk, "status": status}
    assert state_of(account) == before


def test_cancel_all_reports_per_order(account, other_account, aapl):
    first = buy_limit(account)
    second = buy_limit(account, quantity="5")
    done = buy_limit(account, quantity="1")
    fill(done, quantity="1", price="100")
    foreign = buy_limit(other_account)
    results = order_cancel_all(account=account, reason="test")
    assert results == [
        {"order_id": first.pk, "status_code": 200, "status": "canceled"},
        {"order_id": second.pk, "status_code": 200, "status": "canceled"},
    ]
    foreign.refresh_from_db()
    assert foreign.status == OrderStatus.PENDING
    invariants_check(account)


# --- venue-facing ---------------------------------------------------------------------------


def test_fills_update_order_position_ledger_and_balance(account, aapl):
    # given
    order = buy_limit(account)
    order_accept(order_id=order.pk)
    # when
    first = fill(order, quantity="4", price="99.50", fee="0.2", liquidity="maker")
    order.refresh_from_db()
    # then
    assert order.status == OrderStatus.PARTIALLY_FILLED
    assert (order.filled_quantity, order.average_fill_price) == (D("4"), D("99.5"))
    assert order.locked_amount == D("600.3")
    balance = balance_of(account)
    assert balance.total == D("100000") - D("398") - D("0.2")
    assert balance.locked == D("600.3")
    invariants_check(account)
    # when
    fill(order, quantity="6", price="100.00", fee="0.3")
    order.refresh_from_db()
    # then
    assert order.status == OrderStatus.FILLED
    assert order.average_fill_price == D("99.8")
    assert order.locked_amount == 0
    balance = balance_of(account)
    assert (balance.total, balance.available, balance.locked) == (
        D("99001.5"),
        D("99001.5"),
        D("0"),
    )
    position = Position.objects.get()
    assert (position.quantity, position.average_entry_price, position.realized_pnl) == (
        D("10"),
        D("99.8"),
        D("0"),
    )
    assert list(
        LedgerEntry.objects.filter(fill=first).values_list("kind", "amount").order_by("id")
    ) == [("trade", D("-398")), ("fee", D("-0.2"))]
    assert [e.type for e in order.events.order_by("id")] == [
        "created",
        "submitted",
        "accepted",
        "partially_filled",
        "filled",
    ]
    invariants_check(account)


def test_selling_realizes_pnl_and_can_flip_short(account, aapl):
    buy = buy_limit(account)
    fill(buy, quantity="10", price="100")
    sell = order_submit(
        account=account, symbol="AAPL", side="sell", order_type="market", quantity=D("15")
    )
    fill(sell, quantity="15", price="110")
    position = Position.objects.get()
    assert (position.quantity, position.average_entry_price, position.realized_pnl) == (
        D("-5"),
        D("110"),
        D("100"),
    )
    assert balance_of(account).total == D("100000") - D("1000") + D("1650")
    invariants_check(account)


def test_duplicate_exec_id_is_ignored(account, aapl):
    order = buy_limit(account)
    assert fill(order, quantity="4", price="100", exec_id="E-1") is not None
    before = state_of(account)
    assert fill(order, quantity="4", price="100", exec_id="E-1") is None
    assert state_of(account) == before


def test_duplicate_of_the_last_fill_on_a_filled_order_is_ignored(account, aapl):
    order = buy_limit(account)
    fill(order, quantity="10", price="100", exec_id="E-9")
    before = state_of(account)
    assert fill(order, quantity="10", price="100", exec_id="E-9") is None
    assert state_of(account) == before


def test_fill_larger_than_remaining_is_refused(account, aapl):
    order = buy_limit(account)
    fill(order, quantity="8", price="100")
    before = state_of(account)
    with pytest.raises(FillRefused) as caught:
        fill(order, quantity="3", price="100")
    assert caught.value.details["remaining_quantity"] == "2"
    assert state_of(account) == before


@pytest.mark.parametrize("terminal", ["canceled", "expired", "rejected"])
def test_fill_on_a_closed_order_is_refused(account, aapl, terminal):
    order = buy_limit(account)
    Order.objects.filter(pk=order.pk).update(status=terminal, locked_amount=0)
    balance = balance_of(account)
    balance.available += balance.locked
    balance.locked = 0
    balance.save()
    before = state_of(account)
    with pytest.raises(InvalidOrderTransition):
        fill(order, quantity="1", price="100")
    assert state_of(account) == before


def test_venue_cancel_expire_and_reject_release_the_lock(account, aapl):
    ioc = buy_limit(account, time_in_force="ioc")
    fill(ioc, quantity="2", price="100")
    ioc = order_cancel_by_venue(order_id=ioc.pk, reason="ioc remainder")
    assert (ioc.status, ioc.locked_amount) == (OrderStatus.CANCELED, D("0"))
    assert ioc.events.order_by("id").last().data == {"reason": "ioc remainder", "by": "venue"}

    day = buy_limit(account, time_in_force="day")
    order_accept(order_id=day.pk)
    day = order_expire(order_id=day.pk)
    assert (day.status, day.locked_amount) == (OrderStatus.EXPIRED, D("0"))
    assert order_expire(order_id=day.pk).status == OrderStatus.EXPIRED

    refused = buy_limit(account)
    refused = order_reject_by_venue(order_id=refused.pk, reason="no such market")
    assert (refused.status, refused.reject_code) == (OrderStatus.REJECTED, "VENUE_REJECTED")
    assert balance_of(account).locked == 0
    invariants_check(account)


def test_accept_refused_unless_pending(account, aapl):
    order = buy_limit(account)
    order_accept(order_id=order.pk)
    before = state_of(account)
    with pytest.raises(InvalidOrderTransition):
        order_accept(order_id=order.pk)
    assert state_of(account) == before


def test_stop_trigger_marks_once(account, aapl):
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="stop",
        quantity=D("10"),
        stop_price=D("105.00"),
    )
    order_accept(order_id=order.pk)
    triggered = order_stop_trigger(order_id=order.pk, triggered_at=T0)
    assert (triggered.status, triggered.triggered_at) == (OrderStatus.OPEN, T0)
    events = OrderEvent.objects.count()
    assert order_stop_trigger(order_id=order.pk, triggered_at=T0 + timedelta(1)).triggered_at == T0
    assert OrderEvent.objects.count() == events
    assert order.events.filter(type=OrderEventType.TRIGGERED).count() == 1


def test_every_event_is_audited(account, aapl):
    order = buy_limit(account)
    order_accept(order_id=order.pk)
    fill(order, quantity="10", price="100")
    actions = list(
        AuditEntry.objects.filter(object_type="order", object_id=str(order.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["order.created", "order.submitted", "order.accepted", "order.filled"]
    assert AuditEntry.objects.filter(action="fill.executed").count() == 1
