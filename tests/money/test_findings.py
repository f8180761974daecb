"""Regression tests: each replays a money-exactness finding of the outside review, step by step."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from access.tests.factories import AccountFactory, MembershipFactory, UserFactory
from analytics.models import Trade
from marketdata.services import market_state_store
from marketdata.simulator import Quote
from marketdata.tests.factories import InstrumentFactory
from orders.errors import FillRefused
from orders.models import Fill, Order, OrderEvent
from orders.representations import OrderSerializer
from orders.services import order_apply_fill, order_modify, order_submit
from portfolio.models import Balance, LedgerEntry, Position
from portfolio.representations import position_representation
from portfolio.services import balance_deposit
from risk.models import TradingState
from risk.services import risk_config_update
from tests.money.reference import Fees, account_check
from venue.book import VenueBook

D = Decimal
pytestmark = pytest.mark.django_db


class Market:
    """Quotes for entry (the cache) and for the venue (its book), at a clock that moves on."""

    def __init__(self):
        self.now = timezone.now().replace(microsecond=0)

    def quote(self, symbol: str, *, bid: str, ask: str, size: str = "1000") -> Quote:
        self.now += timedelta(seconds=1)
        quote = Quote(
            symbol=symbol,
            bid=D(bid),
            ask=D(ask),
            bid_size=D(size),
            ask_size=D(size),
            last=D(bid),
            volume=D(0),
            timestamp=self.now,
            source="simulator",
        )
        market_state_store(quotes=[quote.as_dict()], books=[], ttl_s=600)
        return quote


@pytest.fixture
def market():
    return Market()


@pytest.fixture
def aapl(db):
    return InstrumentFactory(symbol="AAPL", tick_size=D("0.01"), lot_size=D("1"))


@pytest.fixture
def btc(db):
    return InstrumentFactory(
        symbol="BTCUSD",
        asset_class="crypto",
        tick_size=D("0.01"),
        lot_size=D("0.0001"),
        min_quantity=D("0.0001"),
    )


@pytest.fixture
def book(db):
    book = VenueBook()
    book.start(holder="findings")
    return book


def funded(cash: str):
    account = AccountFactory()
    balance_deposit(account=account, currency="USD", amount=D(cash))
    return account


def usd(account) -> Balance:
    return Balance.objects.get(account=account, currency="USD")


def exact(account, settings) -> list[str]:
    """The harness's independent checks of one account (lock prices from the stored orders)."""
    from tests.money.reference import Expectations

    expectations = Expectations(
        lock_price={o.pk: o.lock_price for o in Order.objects.filter(account=account)},
        protection={o.pk: o.protection_price for o in Order.objects.filter(account=account)},
    )
    deposits = {
        "USD": sum(
            LedgerEntry.objects.filter(account=account, kind="deposit").values_list(
                "amount", flat=True
            ),
            D(0),
        )
    }
    return account_check(
        account=account,
        fees=Fees(settings.VENUE_FEES),
        deposits=deposits,
        expectations=expectations,
        band_pct=None,
    )


# 1. SQLite kept decimals as floats: the second cancel and the kill switch answered 500.


def test_two_buy_stops_cancel_to_zero_locked_to_the_last_digit(client, btc, market, settings):
    account = funded("1000000")
    user = UserFactory(roles=["trader", "risk_manager"])
    MembershipFactory(user=user, account=account, is_default=True)
    client.force_login(user)
    market.quote("BTCUSD", bid="69999.99", ask="70000.00")
    first = order_submit(
        account=account,
        symbol="BTCUSD",
        side="buy",
        order_type="stop",
        quantity=D("0.8765"),
        stop_price=D("70000.00"),
    )
    second = order_submit(
        account=account,
        symbol="BTCUSD",
        side="buy",
        order_type="stop",
        quantity=D("0.7531"),
        stop_price=D("70000.01"),
    )
    assert usd(account).locked == first.locked_amount + second.locked_amount

    assert client.delete(f"/api/v1/orders/{first.pk}").status_code == 200
    assert client.delete(f"/api/v1/orders/{second.pk}").status_code == 200

    balance = usd(account)
    assert (balance.total, balance.available, balance.locked) == (D("1000000"), D("1000000"), 0)
    assert exact(account, settings) == []


def test_the_kill_switch_cancels_those_stops_too(client, btc, market, settings):
    account = funded("1234567.89")
    user = UserFactory(roles=["trader", "risk_manager"])
    MembershipFactory(user=user, account=account, is_default=True)
    client.force_login(user)
    market.quote("BTCUSD", bid="69999.99", ask="70000.00")
    for quantity, stop in (("0.8765", "70000.00"), ("0.7531", "70000.01")):
        order_submit(
            account=account,
            symbol="BTCUSD",
            side="buy",
            order_type="stop",
            quantity=D(quantity),
            stop_price=D(stop),
        )

    response = client.post(
        "/api/v1/trading/stop",
        {"reason": "eod", "cancel_orders": True},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert [item["status"] for item in response.json()["canceled_orders"]] == [
        "canceled",
        "canceled",
    ]
    balance = usd(account)
    assert (balance.total, balance.available, balance.locked) == (
        D("1234567.89"),
        D("1234567.89"),
        0,
    )


# 2. A market order (or a triggered stop) that gaps through overdrew the cash.


def test_a_market_buy_never_fills_past_its_protection_price(aapl, market, book, settings):
    account = funded("20000")
    market.quote("AAPL", bid="190.00", ask="190.01")
    order = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("100")
    )
    book.reload(order_id=order.pk)

    book.step(quotes=[market.quote("AAPL", bid="247.00", ask="247.01")], now=market.now)

    order.refresh_from_db()
    assert order.status == "canceled"
    assert order.events.last().data == {"reason": "price_protection", "by": "venue"}
    assert Fill.objects.filter(order=order).count() == 0
    assert usd(account).total == D("20000")
    assert usd(account).available == D("20000")


def test_a_buy_stop_gapping_through_is_canceled_at_its_band(aapl, market, book, settings):
    account = funded("20000")
    market.quote("AAPL", bid="189.99", ask="190.00")
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="stop",
        quantity=D("100"),
        stop_price=D("191.00"),
    )
    book.reload(order_id=order.pk)

    book.step(quotes=[market.quote("AAPL", bid="230.00", ask="230.01")], now=market.now)

    order.refresh_from_db()
    assert order.status == "canceled"
    assert Fill.objects.filter(order=order).count() == 0
    assert usd(account).available == D("20000")


def test_without_a_band_a_gap_fills_only_what_the_cash_pays(aapl, market, book, settings):
    account = funded("20000")
    risk_config_update(account=account, changes={"market_protection_pct": None})
    market.quote("AAPL", bid="190.00", ask="190.01")
    order = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("100")
    )
    book.reload(order_id=order.pk)

    book.step(quotes=[market.quote("AAPL", bid="247.00", ask="247.01")], now=market.now)

    order.refresh_from_db()
    fill = Fill.objects.get(order=order)
    # 20000 pays for 80 at 247.01 + 0.05% fee (at the tick-rounded slippage price): not 81.
    assert fill.quantity == D("80")
    assert order.status == "canceled"
    assert order.events.last().data["reason"] == "insufficient_funds"
    balance = usd(account)
    assert balance.total >= 0
    assert balance.available >= 0
    assert balance.locked == 0
    assert exact(account, settings) == []


# 3 and 4. A fill at the old limit after a modify.


def test_a_fill_priced_on_the_old_terms_is_refused_after_a_modify(aapl, market, book, settings):
    account = funded("100000")
    market.quote("AAPL", bid="190.20", ask="190.30")
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("100"),
        limit_price=D("190.01"),
    )
    book.reload(order_id=order.pk)
    book.step(quotes=[market.quote("AAPL", bid="190.00", ask="190.01", size="30")], now=market.now)
    order.refresh_from_db()
    assert order.filled_quantity == D("30")

    # The owner lowers the limit; the venue has not read the hand-off when the next quote comes.
    order_modify(order_id=order.pk, limit_price=D("185.00"))
    book.step(quotes=[market.quote("AAPL", bid="190.00", ask="190.01", size="10")], now=market.now)

    order.refresh_from_db()
    assert list(Fill.objects.filter(order=order).values_list("quantity", "price")) == [
        (D("30"), D("190.01"))
    ]
    assert order.filled_quantity == D("30")
    # The lock is the rule's for 70 at 185.00: 12950 + 0.05% fee reserve.
    assert order.locked_amount == D("12956.475")
    assert book.matching.orders[order.pk].limit_price == D("185.00")
    assert exact(account, settings) == []


def test_the_fill_service_refuses_a_price_beyond_the_current_limit(aapl, market, book):
    account = funded("100000")
    market.quote("AAPL", bid="190.20", ask="190.30")
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("100"),
        limit_price=D("185.00"),
    )
    with pytest.raises(FillRefused, match="beyond the limit 185"):
        order_apply_fill(
            order_id=order.pk,
            venue_exec_id="x-1",
            quantity=D("10"),
            price=D("190.01"),
            fee=D("0"),
            fee_currency="USD",
            liquidity="maker",
            executed_at=market.now,
        )
    assert Fill.objects.count() == 0


# 5. The kill switch left a short open and then refused to close it.


def test_an_unfunded_kill_switch_close_halts_and_names_the_position(
    client, aapl, market, book, settings
):
    account = funded("1000")
    user = UserFactory(roles=["trader", "risk_manager"])
    MembershipFactory(user=user, account=account, is_default=True)
    client.force_login(user)
    market.quote("AAPL", bid="189.97", ask="190.00")
    short = order_submit(
        account=account,
        symbol="AAPL",
        side="sell",
        order_type="limit",
        quantity=D("100"),
        limit_price=D("189.97"),
    )
    book.reload(order_id=short.pk)
    book.step(quotes=[market.quote("AAPL", bid="189.97", ask="190.00")], now=market.now)
    assert Position.objects.get(account=account).quantity == D("-100")
    market.quote("AAPL", bid="304.00", ask="304.01")

    response = client.post(
        "/api/v1/trading/stop",
        {"reason": "rally", "cancel_orders": True, "close_positions": True},
        content_type="application/json",
    )

    assert response.status_code == 200
    (item,) = response.json()["closing_orders"]
    assert (item["symbol"], item["status_code"], item["error"]["code"]) == (
        "AAPL",
        422,
        "CLOSE_UNFUNDED",
    )
    close = Order.objects.get(pk=item["order_id"])
    assert close.side == "buy"
    assert close.quantity == D("65")  # 65 x 307.06 (+1% band, on the tick) x 1.0005 fits 19987.50
    assert close.quantity + D(item["unplaced_quantity"]) == D("100")
    state = TradingState.objects.get(account=account)
    assert state.state == "halted"
    assert "AAPL -100" in state.reason
    # More cash, and the rest can be closed while halted.
    balance_deposit(account=account, currency="USD", amount=D("20000"))
    response = client.delete("/api/v1/positions/AAPL")
    assert response.status_code == 201
    assert D(response.json()["quantity"]) == D(item["unplaced_quantity"])


# 6. Two venues at once: test_a_venue_whose_successor_started_books_nothing_and_stops
# (venue/tests/test_component.py) and the PostgreSQL race in test_money_services.py.

# 7. The fee reserved was not the fee charged.


def test_entry_reserves_with_the_rates_the_venue_charges(btc, market, book, settings):
    settings.VENUE_FEES = {
        "default": {"maker": "0.0010", "taker": "0.0020"},
        "BTCUSD": {"taker": "0.0005"},
    }
    account = funded("100000")
    market.quote("BTCUSD", bid="63999", ask="64001")
    order = order_submit(
        account=account,
        symbol="BTCUSD",
        side="buy",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("64000"),
    )
    # BTCUSD keeps the default maker rate (0.0010) and overrides the taker (0.0005): 64064.
    assert order.locked_amount == D("64064")
    book.reload(order_id=order.pk)
    terms = book.matching.books["BTCUSD"].terms
    assert (terms.maker_fee_rate, terms.taker_fee_rate) == (D("0.0010"), D("0.0005"))


# 8. A modified order that crossed was charged maker.


def test_a_modified_order_that_crosses_pays_taker(aapl, market, book, settings):
    account = funded("100000")
    market.quote("AAPL", bid="190.00", ask="190.01")
    order = order_submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("10"),
        limit_price=D("180.00"),
    )
    book.reload(order_id=order.pk)
    book.step(quotes=[market.quote("AAPL", bid="190.00", ask="190.01")], now=market.now)

    order_modify(order_id=order.pk, limit_price=D("191.00"))
    book.reload(order_id=order.pk)
    book.step(quotes=[market.quote("AAPL", bid="190.00", ask="190.01")], now=market.now)

    fill = Fill.objects.get(order=order)
    # 10 x 190.01 x 0.0005 = 0.95 (taker), not 0.38 (maker)
    assert (fill.liquidity, fill.price, fill.fee) == ("taker", D("190.01"), D("0.95"))


# 9. Decimal strings, and a round trip's PnL against its cash.


def test_event_payloads_and_positions_write_plain_decimals(aapl, btc, market):
    account = funded("100000")
    market.quote("AAPL", bid="190.00", ask="190.01")
    order = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("100")
    )
    submitted = OrderEvent.objects.get(order=order, type="submitted")
    assert submitted.data == {"locked_amount": "19201.596"}
    assert OrderSerializer(order).data["locked_amount"] == "19201.596"
    market.quote("BTCUSD", bid="63999.99", ask="64000.00")
    bought = order_submit(
        account=account,
        symbol="BTCUSD",
        side="buy",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("64000.00"),
    )
    order_apply_fill(
        order_id=bought.pk,
        venue_exec_id="btc-1",
        quantity=D("1"),
        price=D("64000.00"),
        fee=D("0"),
        fee_currency="USD",
        liquidity="taker",
        executed_at=market.now,
    )
    # Marked a cent below: -0.0000156% rounds to 0 at four places, and reads "0", not "-0".
    position = Position.objects.select_related("instrument").get(account=account, instrument=btc)
    view = position_representation(position)
    assert (view["unrealized_pnl"], view["unrealized_pnl_pct"]) == ("-0.01", "0")
    assert view["average_entry_price"] == "64000"


def test_a_round_trip_realizes_exactly_the_cash_it_produced(market):
    eurusd = InstrumentFactory(
        symbol="EURUSD",
        asset_class="fx",
        tick_size=D("0.00001"),
        lot_size=D("1000"),
        min_quantity=D("1000"),
    )
    account = funded("50000000")
    fills = [("7000000", "1.08123"), ("7000000", "1.08127"), ("7000000", "1.08132")]
    market.quote("EURUSD", bid="1.08100", ask="1.08200")
    for index, (quantity, price) in enumerate(fills):
        order = order_submit(
            account=account,
            symbol="EURUSD",
            side="buy",
            order_type="limit",
            quantity=D(quantity),
            limit_price=D(price),
        )
        order_apply_fill(
            order_id=order.pk,
            venue_exec_id=f"eur-{index}",
            quantity=D(quantity),
            price=D(price),
            fee=D("0"),
            fee_currency="USD",
            liquidity="maker",
            executed_at=market.now,
        )
    for index, (quantity, price) in enumerate([("10000000", "1.08200"), ("11000000", "1.08207")]):
        order = order_submit(
            account=account,
            symbol="EURUSD",
            side="sell",
            order_type="limit",
            quantity=D(quantity),
            limit_price=D(price),
        )
        order_apply_fill(
            order_id=order.pk,
            venue_exec_id=f"eur-sell-{index}",
            quantity=D(quantity),
            price=D(price),
            fee=D("0"),
            fee_currency="USD",
            liquidity="maker",
            executed_at=market.now,
        )

    cash = sum(
        LedgerEntry.objects.filter(account=account, kind="trade").values_list("amount", flat=True),
        D(0),
    )
    position = Position.objects.get(account=account, instrument=eurusd)
    trade = Trade.objects.get(account=account)
    assert position.quantity == 0
    assert position.realized_pnl == cash == trade.gross_pnl
    # Bought 22,706,740 worth, sold 22,722,770: the first sale's cost share (10/21 of the
    # cost) does not divide evenly, and still nothing is lost or made by rounding.
    assert cash == D("16030")
