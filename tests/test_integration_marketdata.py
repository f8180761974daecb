"""Live prices from a real engine: quotes move between calls in both run modes."""

from decimal import Decimal

import pytest

from tests.harness import Stack, wait_until

pytestmark = pytest.mark.integration


def _quotes_move(stack: Stack) -> None:
    with stack.session_client() as client:

        def quote():
            response = client.get("/api/v1/quotes/AAPL")
            return response.json() if response.status_code == 200 else None

        first = wait_until(quote, timeout=20, what="a first AAPL quote from the engine")
        later = wait_until(
            lambda: (q := quote()) and q["timestamp"] != first["timestamp"] and q,
            timeout=20,
            what="the next AAPL quote",
        )
        assert first["source"] == later["source"] == "simulator"
        assert later["timestamp"] > first["timestamp"]
        assert first["bid"] < first["ask"]
        book = client.get("/api/v1/orderbook/AAPL?depth=5").json()
        bids = [level["price"] for level in book["bids"]]
        asks = [level["price"] for level in book["asks"]]
        assert len(bids) == len(asks) == 5
        assert sorted(bids, key=Decimal, reverse=True) == bids
        assert sorted(asks, key=Decimal) == asks
        candles = client.get("/api/v1/candles/AAPL?interval=1m&limit=10").json()
        assert len(candles["results"]) == 10


def test_quotes_move_in_embedded_mode(embedded_stack):
    _quotes_move(embedded_stack)


@pytest.mark.services
def test_quotes_move_with_the_engine_in_its_own_process(services_stack):
    _quotes_move(services_stack)
