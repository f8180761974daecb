"""Market data against the simulated feed."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from trading_client.errors import SymbolNotFoundError, ValidationError


@pytest.fixture
def client(server):
    return server.client("demo")


def test_instruments_follow_next_across_pages(client):
    # given: pages of two instruments
    paginator = client.market.instruments(limit=2)
    first = paginator.page()
    # when
    everything = list(paginator)
    # then: every page was followed, in symbol order, without repeats
    assert len(first.items) == 2
    assert first.has_next
    symbols = [i.symbol for i in everything]
    assert symbols == sorted(symbols)
    assert len(set(symbols)) == len(symbols) > 2
    assert {"AAPL", "BTCUSD"} <= set(symbols)
    assert (
        client.market.instruments(limit=2).page(cursor=first.next_cursor).items[0].symbol
        == (symbols[2])
    )
    assert all(isinstance(i.tick_size, Decimal) for i in everything)


def test_instruments_filter_by_asset_class(client):
    crypto = list(client.market.instruments(asset_class="crypto"))
    assert [i.symbol for i in crypto] == ["BTCUSD"]


def test_instrument(client):
    aapl = client.market.instrument("aapl")
    assert aapl.symbol == "AAPL"
    assert aapl.lot_size == Decimal("1")
    assert aapl.status == "trading"


def test_unknown_symbol_is_symbol_not_found(client):
    with pytest.raises(SymbolNotFoundError) as caught:
        client.market.instrument("NOPE")
    assert caught.value.detail("symbol") == "NOPE"
    assert caught.value.attempts == 1


def test_quote_and_quotes(client):
    quote = client.market.quote("AAPL")
    assert isinstance(quote.bid, Decimal)
    assert quote.bid < quote.ask
    assert quote.timestamp.tzinfo is not None

    quotes = client.market.quotes(["AAPL", "BTCUSD"])
    assert [q.symbol for q in quotes.quotes] == ["AAPL", "BTCUSD"]
    assert quotes.unavailable == []
    assert {q.symbol for q in client.market.quotes().quotes} >= {"AAPL", "MSFT"}


def test_candles(client):
    candles = client.market.candles("AAPL", interval="1m", limit=5)
    assert candles.symbol == "AAPL"
    assert candles.interval == "1m"
    assert len(candles.candles) == 5
    times = [c.timestamp for c in candles.candles]
    assert times == sorted(times)
    assert all(c.low <= c.open <= c.high and c.low <= c.close <= c.high for c in candles.candles)

    start = datetime.now(UTC) - timedelta(hours=3)
    window = client.market.candles("AAPL", interval="1h", start=start, end=datetime.now(UTC))
    assert all(
        c.timestamp >= start.replace(minute=0, second=0, microsecond=0) for c in window.candles
    )


def test_candles_with_a_bad_interval_is_a_validation_error(client):
    with pytest.raises(ValidationError) as caught:
        client.market.candles("AAPL", interval="7m")
    assert "interval" in caught.value.fields


def test_order_book(client):
    book = client.market.order_book("BTCUSD", depth=3)
    assert book.symbol == "BTCUSD"
    assert len(book.bids) == len(book.asks) == 3
    assert [b.price for b in book.bids] == sorted((b.price for b in book.bids), reverse=True)
    assert [a.price for a in book.asks] == sorted(a.price for a in book.asks)
    assert book.bids[0].price < book.asks[0].price
    assert isinstance(book.bids[0].count, int)
