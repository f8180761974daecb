"""Market-data endpoints: payloads, validation (each 400 names its field), 404 and 503."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from marketdata.enums import AssetClass
from marketdata.feed import MarketDataFeed
from marketdata.services import market_state_store
from marketdata.simulator import InstrumentSimulator, InstrumentSpec
from marketdata.tests.factories import CandleFactory, InstrumentFactory

D = Decimal
T0 = datetime(2026, 3, 2, 15, 0, 10, tzinfo=UTC)


@pytest.fixture
def viewer(db):
    user = User.objects.create_user("viewer", password="pw-not-used")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    return user


@pytest.fixture
def api(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def aapl(db):
    return InstrumentFactory(symbol="AAPL", name="Apple Inc.", sim_seed=5)


def publish_tick(instrument, *, at=T0):
    """Put one simulated tick of `instrument` in the cache, as the feed does."""
    spec = InstrumentSpec.from_instrument(instrument, default_tick_interval_s=D("0.5"))
    tick = InstrumentSimulator(spec).tick(timestamp=at, levels=50)
    market_state_store(quotes=[tick.quote.as_dict()], books=[tick.book.as_dict()], ttl_s=60)
    return tick


def error_of(response):
    body = response.json()["error"]
    return response.status_code, body["code"], body["details"]


# --- instruments ----------------------------------------------------------------------------


def test_instrument_list_sorted_by_symbol_with_plain_decimals(api, aapl):
    InstrumentFactory(
        symbol="EURUSD",
        name="Euro / US Dollar",
        asset_class=AssetClass.FX,
        tick_size=D("0.00001"),
        lot_size=D("1000"),
        min_quantity=D("1000"),
    )

    response = api.get("/api/v1/instruments")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "symbol": "AAPL",
                "name": "Apple Inc.",
                "asset_class": "equity",
                "currency": "USD",
                "tick_size": "0.01",
                "lot_size": "1",
                "min_quantity": "1",
                "status": "trading",
            },
            {
                "symbol": "EURUSD",
                "name": "Euro / US Dollar",
                "asset_class": "fx",
                "currency": "USD",
                "tick_size": "0.00001",
                "lot_size": "1000",
                "min_quantity": "1000",
                "status": "trading",
            },
        ],
        "next": None,
    }


def test_instrument_list_filters_by_asset_class_in_any_case(api, aapl):
    InstrumentFactory(symbol="BTCUSD", asset_class=AssetClass.CRYPTO)

    response = api.get("/api/v1/instruments?asset_class=CRYPTO")

    assert [row["symbol"] for row in response.json()["results"]] == ["BTCUSD"]


def test_instrument_list_rejects_an_unknown_asset_class(api, aapl):
    response = api.get("/api/v1/instruments?asset_class=bonds")

    status, code, details = error_of(response)
    assert (status, code, list(details["fields"])) == (400, "VALIDATION_ERROR", ["asset_class"])


def test_instrument_detail_by_symbol_in_any_case(api, aapl):
    response = api.get("/api/v1/instruments/aapl")

    assert response.status_code == 200
    assert response.json()["symbol"] == "AAPL"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/instruments/NOPE",
        "/api/v1/quotes/NOPE",
        "/api/v1/quotes?symbols=AAPL,NOPE",
        "/api/v1/candles/NOPE",
        "/api/v1/orderbook/NOPE",
    ],
)
def test_unknown_symbol_is_404_symbol_not_found(api, aapl, path):
    response = api.get(path)

    assert error_of(response) == (404, "SYMBOL_NOT_FOUND", {"symbol": "NOPE"})


def test_market_data_needs_authentication(client, aapl):
    response = client.get("/api/v1/instruments")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


# --- quotes ---------------------------------------------------------------------------------


def test_quote_from_the_cache_with_string_decimals_source_and_timestamp(api, aapl):
    tick = publish_tick(aapl)

    response = api.get("/api/v1/quotes/AAPL")

    assert response.status_code == 200
    assert response.json() == {
        "symbol": "AAPL",
        "bid": str(tick.quote.bid),
        "ask": str(tick.quote.ask),
        "bid_size": str(tick.quote.bid_size),
        "ask_size": str(tick.quote.ask_size),
        "last": str(tick.quote.last),
        "volume": str(tick.quote.volume),
        "timestamp": "2026-03-02T15:00:10Z",
        "source": "simulator",
    }


def test_quote_without_a_feed_is_503_naming_the_last_close(api, aapl):
    CandleFactory(instrument=aapl, ts=datetime(2026, 3, 2, 14, 59, tzinfo=UTC), close=D("100.5"))

    response = api.get("/api/v1/quotes/AAPL")

    status, code, details = error_of(response)
    assert (status, code) == (503, "SERVICE_UNAVAILABLE")
    assert details == {
        "symbol": "AAPL",
        "last_close": {
            "price": "100.5",
            "timestamp": "2026-03-02T14:59:00Z",
            "interval": "1m",
        },
    }


def test_quotes_of_several_symbols_list_those_without_a_quote(api, aapl):
    InstrumentFactory(symbol="MSFT")
    tick = publish_tick(aapl)

    response = api.get("/api/v1/quotes?symbols=msft,AAPL")

    assert response.status_code == 200
    assert response.json()["unavailable"] == ["MSFT"]
    assert [q["symbol"] for q in response.json()["results"]] == ["AAPL"]
    assert response.json()["results"][0]["bid"] == str(tick.quote.bid)


def test_quotes_without_symbols_covers_every_trading_instrument(api, aapl):
    publish_tick(InstrumentFactory(symbol="SPY"))

    response = api.get("/api/v1/quotes")

    assert [q["symbol"] for q in response.json()["results"]] == ["SPY"]
    assert response.json()["unavailable"] == ["AAPL"]


@pytest.mark.parametrize("symbols", [",", " , ", ",".join(f"S{i}" for i in range(101))])
def test_quotes_rejects_empty_or_too_many_symbols(api, aapl, symbols):
    response = api.get(f"/api/v1/quotes?symbols={symbols}")

    status, code, details = error_of(response)
    assert (status, code, list(details["fields"])) == (400, "VALIDATION_ERROR", ["symbols"])


# --- candles --------------------------------------------------------------------------------


def test_candles_oldest_first_as_plain_decimals(api, aapl):
    for minute in range(3):
        CandleFactory(
            instrument=aapl,
            ts=datetime(2026, 3, 2, 15, minute, tzinfo=UTC),
            open=D("100"),
            high=D("101.5"),
            low=D("99.25"),
            close=D(f"100.{minute}"),
            volume=D("7"),
        )

    response = api.get("/api/v1/candles/AAPL?interval=5m")

    assert response.status_code == 200
    assert response.json() == {
        "symbol": "AAPL",
        "interval": "5m",
        "results": [
            {
                "timestamp": "2026-03-02T15:00:00Z",
                "open": "100",
                "high": "101.5",
                "low": "99.25",
                "close": "100.2",
                "volume": "21",
                "source": "simulator",
            }
        ],
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("interval=2m", "interval"),
        ("interval=1w", "interval"),
        ("from=2026-03-02T10:00:00Z&to=2026-03-01T10:00:00Z", "from"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=many", "limit"),
    ],
)
def test_candles_validation_names_the_field(api, aapl, query, field):
    response = api.get(f"/api/v1/candles/AAPL?{query}")

    status, code, details = error_of(response)
    assert (status, code, list(details["fields"])) == (400, "VALIDATION_ERROR", [field])


def test_candles_window_from_to_and_limit(api, aapl):
    for minute in range(10):
        CandleFactory(instrument=aapl, ts=datetime(2026, 3, 2, 15, minute, tzinfo=UTC))

    response = api.get(
        "/api/v1/candles/AAPL?interval=1M&from=2026-03-02T15:02:00Z&to=2026-03-02T15:08:00Z&limit=3"
    )

    assert [row["timestamp"] for row in response.json()["results"]] == [
        "2026-03-02T15:02:00Z",
        "2026-03-02T15:03:00Z",
        "2026-03-02T15:04:00Z",
    ]


def test_imported_daily_bars_are_served_at_1d(api, aapl, tmp_path):
    path = tmp_path / "aapl.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-01-02,187.15,188.44,183.89,185.64,82488700\n"
        "2024-01-03,184.22,185.88,183.43,184.25,58414500\n"
    )
    call_command(
        "import_candles", str(path), "--symbol", "AAPL", "--interval", "1d", stdout=StringIO()
    )

    response = api.get("/api/v1/candles/AAPL?interval=1d&from=2024-01-01")

    assert response.json()["results"] == [
        {
            "timestamp": "2024-01-02T00:00:00Z",
            "open": "187.15",
            "high": "188.44",
            "low": "183.89",
            "close": "185.64",
            "volume": "82488700",
            "source": "import",
        },
        {
            "timestamp": "2024-01-03T00:00:00Z",
            "open": "184.22",
            "high": "185.88",
            "low": "183.43",
            "close": "184.25",
            "volume": "58414500",
            "source": "import",
        },
    ]


# --- order book -----------------------------------------------------------------------------


def test_orderbook_sorted_around_the_quote_to_the_depth(api, aapl):
    tick = publish_tick(aapl)

    response = api.get("/api/v1/orderbook/AAPL?depth=3")

    body = response.json()
    assert response.status_code == 200
    assert (body["symbol"], body["timestamp"], body["source"]) == (
        "AAPL",
        "2026-03-02T15:00:10Z",
        "simulator",
    )
    assert [level["price"] for level in body["bids"]] == [
        str(tick.quote.bid - D("0.01") * i) for i in range(3)
    ]
    assert [level["price"] for level in body["asks"]] == [
        str(tick.quote.ask + D("0.01") * i) for i in range(3)
    ]
    assert body["bids"][0]["size"] == str(tick.quote.bid_size)
    assert body["asks"][0] == {
        "price": str(tick.quote.ask),
        "size": str(tick.quote.ask_size),
        "count": tick.book.asks[0].count,
    }


def test_orderbook_default_depth_is_ten(api, aapl):
    publish_tick(aapl)

    body = api.get("/api/v1/orderbook/AAPL").json()

    assert (len(body["bids"]), len(body["asks"])) == (10, 10)


@pytest.mark.parametrize("depth", ["0", "51", "-1", "deep"])
def test_orderbook_depth_out_of_bounds_is_400(api, aapl, depth):
    publish_tick(aapl)

    response = api.get(f"/api/v1/orderbook/AAPL?depth={depth}")

    status, code, details = error_of(response)
    assert (status, code, list(details["fields"])) == (400, "VALIDATION_ERROR", ["depth"])


def test_orderbook_without_a_feed_is_503(api, aapl):
    response = api.get("/api/v1/orderbook/AAPL")

    status, code, details = error_of(response)
    assert (status, code, details) == (
        503,
        "SERVICE_UNAVAILABLE",
        {"symbol": "AAPL", "last_close": None},
    )


# --- with the feed --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_quotes_change_as_the_feed_ticks(client):
    # given a running feed (driven step by step) and a viewer
    instrument = InstrumentFactory(
        symbol="LIVE", sim_volatility=D("2"), sim_initial_price=D("50"), sim_seed=42
    )
    user = User.objects.create_user("watcher", password="pw-not-used")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client.force_login(user)
    feed = MarketDataFeed(
        source="simulator",
        tick_interval_s=60,
        channel_layer=channel_layers.make_backend("default"),
    )
    async_to_sync(feed.start)()

    seen = []
    for step in range(3):
        async_to_sync(feed.step)(now=T0 + timedelta(minutes=step))
        seen.append(client.get(f"/api/v1/quotes/{instrument.symbol}").json())

    assert [q["timestamp"] for q in seen] == [
        "2026-03-02T15:00:10Z",
        "2026-03-02T15:01:10Z",
        "2026-03-02T15:02:10Z",
    ]
    assert seen[0]["bid"] != seen[1]["bid"] != seen[2]["bid"]
