"""The paper venue in-process: real orders through order_submit, quotes, fills, restart safety."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.layers import channel_layers

from access.tests.factories import AccountFactory
from kernel.db.expressions import ExactSum
from kernel.decimals import step_ceil
from marketdata.feed import MarketDataFeed
from marketdata.services import market_state_store
from marketdata.simulator import Quote
from marketdata.tests.factories import InstrumentFactory
from orders.enums import OrderStatus
from orders.errors import VenueFenced
from orders.events import VENUE_CHANNEL
from orders.models import Fill, Order
from orders.services import order_cancel, order_modify, order_submit
from portfolio.models import Balance, LedgerEntry, Position
from portfolio.services import balance_deposit
from venue.component import PaperVenue

D = Decimal
T0 = datetime(2026, 3, 2, 15, 0, 10, tzinfo=UTC)
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _venue_settings(settings):
    settings.VENUE_SLIPPAGE_BPS = "0"
    settings.VENUE_FEES = {"default": {"maker": "0.0002", "taker": "0.0005"}}
    settings.VENUE_SESSION_CLOSE_UTC = "21:00"


def tick(symbol: str, bid: str, ask: str, size: str = "100", at: datetime = T0):
    quote = Quote(
        symbol=symbol,
        bid=D(bid),
        ask=D(ask),
        bid_size=D(size),
        ask_size=D(size),
        last=D(bid),
        volume=D(0),
        timestamp=at,
        source="test",
    )
    return SimpleNamespace(quote=quote)


@sync_to_async
def setup(symbol: str = "AAPL", cash: str = "100000", bid: str = "99.98", ask: str = "100.02"):
    InstrumentFactory(symbol=symbol)
    account = AccountFactory()
    balance_deposit(account=account, currency="USD", amount=D(cash))
    market_state_store(
        quotes=[
            {
                "symbol": symbol,
                "bid": D(bid),
                "ask": D(ask),
                "bid_size": D(100),
                "ask_size": D(100),
                "last": D(bid),
                "volume": D(0),
                "timestamp": T0,
                "source": "test",
            }
        ],
        books=[],
        ttl_s=600,
    )
    return account


submit = sync_to_async(order_submit)


@sync_to_async
def reload(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


@sync_to_async
def account_state(account) -> dict:
    balance = Balance.objects.get(account=account, currency="USD")
    position = Position.objects.filter(account=account).first()
    ledger = LedgerEntry.objects.filter(account=account, currency="USD").aggregate(
        s=ExactSum("amount")
    )
    return {
        "total": balance.total,
        "available": balance.available,
        "locked": balance.locked,
        "ledger": ledger["s"],
        "position": position.quantity if position else None,
        "average": position.average_entry_price if position else None,
        "fills": list(
            Fill.objects.filter(account=account)
            .order_by("id")
            .values_list("venue_exec_id", "quantity", "price", "fee", "liquidity")
        ),
    }


async def test_limit_order_rests_then_fills_when_the_market_crosses_it():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    order = await submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("10"),
        limit_price=D("99.50"),
    )
    # Picked up without a hand-off message: the sweep finds it and acknowledges it.
    assert await venue.sweep() == 1
    assert (await reload(order)).status == OrderStatus.OPEN
    await venue.on_ticks([tick("AAPL", "99.60", "99.64")])
    assert await venue.step(now=T0) == []
    assert (await reload(order)).status == OrderStatus.OPEN

    await venue.on_ticks([tick("AAPL", "99.45", "99.49")])
    await venue.step(now=T0)

    order = await reload(order)
    assert order.status == OrderStatus.FILLED
    assert order.filled_quantity == D("10")
    assert order.average_fill_price == D("99.49")
    state = await account_state(account)
    # 10 x 99.49 = 994.90 cash; maker fee 994.90 x 0.0002 = 0.19898 -> 0.20
    assert state["fills"] == [(f"pv-{order.pk}-0", D("10"), D("99.49"), D("0.20"), "maker")]
    assert state["total"] == D("100000") - D("994.90") - D("0.20")
    assert state["total"] == state["ledger"]
    assert state["available"] == state["total"]
    assert state["locked"] == D("0")
    assert state["position"] == D("10")
    assert state["average"] == D("99.49")
    assert venue.status()["fills"] == 1
    assert venue.status()["working_orders"] == 0


async def test_market_order_fills_on_the_next_feed_step_at_the_ask_plus_slippage(settings):
    settings.VENUE_SLIPPAGE_BPS = "5"
    account = await setup(symbol="MSFT")
    layer = channel_layers.make_backend("default")
    feed = MarketDataFeed(source="simulator", tick_interval_s=0.5, channel_layer=layer)
    await feed.start()
    venue = PaperVenue(channel_layer=layer)
    feed.tick_listeners.append(venue.on_ticks)
    await venue.start()
    await feed.step(now=T0)
    order = await submit(
        account=account, symbol="MSFT", side="buy", order_type="market", quantity=D("1")
    )
    await venue.handle_message({"type": "venue.order", "order_id": order.pk, "action": "submit"})
    [market_tick] = await feed.step(now=T0 + timedelta(seconds=1))
    await venue.step(now=T0 + timedelta(seconds=1))

    quote = market_tick.quote
    expected_price = step_ceil(quote.ask * D("1.0005"), D("0.01"))
    # One lot: the simulator's displayed size (seeded, at least one lot) never limits it.
    order = await reload(order)
    assert order.status == OrderStatus.FILLED
    assert order.average_fill_price == expected_price
    state = await account_state(account)
    fee = (expected_price * D("0.0005")).quantize(D("0.01"))
    assert state["fills"] == [(f"pv-{order.pk}-0", D("1"), expected_price, fee, "taker")]
    assert state["total"] == D("100000") - expected_price - fee == state["ledger"]
    assert state["locked"] == D("0")
    assert state["position"] == D("1")
    await feed.stop()


async def test_partial_fills_against_displayed_size_then_the_rest():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    order = await submit(
        account=account, symbol="AAPL", side="sell", order_type="market", quantity=D("30")
    )
    await venue.sweep()
    await venue.on_ticks([tick("AAPL", "100.00", "100.02", size="20")])
    await venue.step(now=T0)
    assert (await reload(order)).status == OrderStatus.PARTIALLY_FILLED
    await venue.on_ticks([tick("AAPL", "99.90", "99.92", size="20")])
    await venue.step(now=T0)

    order = await reload(order)
    assert order.status == OrderStatus.FILLED
    state = await account_state(account)
    assert state["fills"] == [
        (f"pv-{order.pk}-0", D("20"), D("100.00"), D("1.00"), "taker"),
        (f"pv-{order.pk}-20", D("10"), D("99.90"), D("0.50"), "taker"),
    ]
    # Sold short 30: proceeds 2000.00 + 999.00, fees 1.50.
    assert state["total"] == D("100000") + D("2999.00") - D("1.50") == state["ledger"]
    assert state["position"] == D("-30")


async def test_ioc_fills_what_it_can_and_the_rest_is_canceled_with_its_lock_released():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    order = await submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        time_in_force="ioc",
        quantity=D("50"),
        limit_price=D("100.10"),
    )
    await venue.sweep()
    await venue.on_ticks([tick("AAPL", "100.00", "100.04", size="20")])
    await venue.step(now=T0)

    order = await reload(order)
    assert order.status == OrderStatus.CANCELED
    assert order.filled_quantity == D("20")
    state = await account_state(account)
    assert state["fills"] == [(f"pv-{order.pk}-0", D("20"), D("100.04"), D("1.00"), "taker")]
    assert state["locked"] == D("0")
    assert state["total"] == D("100000") - D("2000.80") - D("1.00") == state["available"]


async def test_day_order_expires_at_session_close_and_releases_its_lock():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    order = await submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        time_in_force="day",
        quantity=D("5"),
        limit_price=D("90.00"),
    )
    await venue.sweep()
    created = (await reload(order)).created_at
    close = created.replace(hour=21, minute=0, second=0, microsecond=0)
    if close <= created:
        close += timedelta(days=1)
    assert await venue.step(now=close - timedelta(seconds=1)) == []
    await venue.step(now=close)

    assert (await reload(order)).status == OrderStatus.EXPIRED
    state = await account_state(account)
    assert state["locked"] == D("0")
    assert state["available"] == D("100000")


async def test_a_canceled_order_leaves_the_book_on_its_hand_off_message():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    order = await submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("5"),
        limit_price=D("99.00"),
    )
    await venue.handle_message({"type": "venue.order", "order_id": order.pk, "action": "submit"})
    assert venue.status()["working_orders"] == 1
    await sync_to_async(order_cancel)(order_id=order.pk)
    await venue.handle_message({"type": "venue.order", "order_id": order.pk, "action": "cancel"})
    assert venue.status()["working_orders"] == 0
    await venue.on_ticks([tick("AAPL", "98.00", "98.02")])
    assert await venue.step(now=T0) == []
    assert (await account_state(account))["fills"] == []


async def test_hand_off_arrives_on_the_venue_channel():
    await setup()
    layer = channel_layers.make_backend("default")
    venue = PaperVenue(channel_layer=layer)
    await venue.start()
    await layer.send(VENUE_CHANNEL, {"type": "venue.order", "order_id": 1, "action": "submit"})
    message = await layer.receive(VENUE_CHANNEL)
    await venue.handle_message(message)
    assert venue.status()["working_orders"] == 0


async def test_a_new_instance_reloads_working_orders_and_continues_without_refilling():
    account = await setup()
    first = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await first.start()
    order = await submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("30")
    )
    await first.sweep()
    await first.on_ticks([tick("AAPL", "100.00", "100.02", size="12")])
    await first.step(now=T0)
    # The engine dies here; a new one starts from the database.
    second = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await second.start()
    assert second.status()["working_orders"] == 1
    assert second.matching.orders[order.pk].filled_quantity == D("12")
    await second.on_ticks([tick("AAPL", "100.01", "100.03", size="100")])
    await second.step(now=T0)

    order = await reload(order)
    assert order.status == OrderStatus.FILLED
    state = await account_state(account)
    assert state["fills"] == [
        (f"pv-{order.pk}-0", D("12"), D("100.02"), D("0.60"), "taker"),
        (f"pv-{order.pk}-12", D("18"), D("100.03"), D("0.90"), "taker"),
    ]
    assert state["position"] == D("30")


async def test_a_venue_whose_successor_started_books_nothing_and_stops():
    account = await setup()
    order = await submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("30")
    )
    # The old engine still runs when a successor takes the lead (the leader-overlap window).
    old = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await old.start()
    new = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await new.start()
    await old.on_ticks([tick("AAPL", "100.00", "100.02", size="10")])

    with pytest.raises(VenueFenced):
        await old.step(now=T0)

    assert (await account_state(account))["fills"] == []
    await new.on_ticks([tick("AAPL", "100.00", "100.05", size="25")])
    await new.step(now=T0)
    await new.on_ticks([tick("AAPL", "100.00", "100.05", size="25")])
    await new.step(now=T0)
    state = await account_state(account)
    assert [f[:3] for f in state["fills"]] == [
        (f"pv-{order.pk}-0", D("25"), D("100.05")),
        (f"pv-{order.pk}-25", D("5"), D("100.05")),
    ]
    assert state["position"] == D("30")
    assert (await reload(order)).status == OrderStatus.FILLED


async def test_stop_order_triggers_then_fills():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    order = await submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="stop",
        quantity=D("2"),
        stop_price=D("101.00"),
    )
    await venue.sweep()
    await venue.on_ticks([tick("AAPL", "100.50", "100.52")])
    assert await venue.step(now=T0) == []
    await venue.on_ticks([tick("AAPL", "101.00", "101.02")])
    await venue.step(now=T0)
    order = await reload(order)
    assert order.triggered_at == T0
    assert order.status == OrderStatus.FILLED
    assert (await account_state(account))["fills"] == [
        (f"pv-{order.pk}-0", D("2"), D("101.02"), D("0.10"), "taker")
    ]


async def test_a_modified_limit_is_matched_at_its_new_price_after_the_sweep():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    order = await submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="limit",
        quantity=D("5"),
        limit_price=D("99.00"),
    )
    await venue.sweep()
    await sync_to_async(order_modify)(order_id=order.pk, limit_price=D("99.80"), expected_version=1)
    # The hand-off message is lost: the sweep notices the new version.
    assert await venue.sweep() == 1
    assert venue.matching.orders[order.pk].limit_price == D("99.80")
    await venue.on_ticks([tick("AAPL", "99.70", "99.75")])
    await venue.step(now=T0)
    order = await reload(order)
    assert order.status == OrderStatus.FILLED
    assert order.average_fill_price == D("99.75")


async def test_fok_that_cannot_fill_is_canceled_with_nothing_filled():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    order = await submit(
        account=account,
        symbol="AAPL",
        side="buy",
        order_type="market",
        time_in_force="fok",
        quantity=D("40"),
    )
    await venue.sweep()
    await venue.on_ticks([tick("AAPL", "100.00", "100.02", size="39")])
    await venue.step(now=T0)
    order = await reload(order)
    assert order.status == OrderStatus.CANCELED
    assert order.filled_quantity == D("0")
    state = await account_state(account)
    assert state["fills"] == []
    assert state["locked"] == D("0")
    assert state["total"] == state["available"] == D("100000") == state["ledger"]


async def test_gtd_order_expires_at_its_expire_at():
    account = await setup()
    venue = PaperVenue(channel_layer=channel_layers.make_backend("default"))
    await venue.start()
    expire_at = datetime.now(UTC) + timedelta(hours=1)
    order = await submit(
        account=account,
        symbol="AAPL",
        side="sell",
        order_type="limit",
        time_in_force="gtd",
        quantity=D("5"),
        limit_price=D("105.00"),
        expire_at=expire_at,
    )
    await venue.sweep()
    assert await venue.step(now=expire_at - timedelta(microseconds=1)) == []
    await venue.step(now=expire_at)
    assert (await reload(order)).status == OrderStatus.EXPIRED
    assert venue.status()["working_orders"] == 0
