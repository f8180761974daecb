"""The stream against the real server: snapshot then updates, and a resume after the socket is
dropped that yields exactly the events missed, none twice."""

import asyncio
from decimal import Decimal

import pytest
from trading_client import Backoff, StreamError, Subscription
from trading_client.models import Order, Quote

CENT = Decimal("0.01")


async def _next(iterator, predicate, what: str, timeout: float = 20.0):
    async def scan():
        async for message in iterator:
            if predicate(message):
                return message
        raise AssertionError(f"the stream ended before {what}")

    return await asyncio.wait_for(scan(), timeout)


def _place(client):
    """A resting buy limit (20% under the bid), placed over REST with the sync client."""
    price = (client.market.quote("MSFT").bid * Decimal("0.8")).quantize(CENT)
    return client.orders.submit("MSFT", "buy", Decimal("1"), order_type="limit", limit_price=price)


async def test_snapshot_updates_and_an_exact_resume_after_a_drop(server):
    rest = server.client("stream")
    account = server.accounts["Cl-Stream"]
    async with server.async_client("stream") as client:
        stream = client.stream(
            [Subscription("orders", account=account)],
            backoff=Backoff(base=0.05, cap=0.2),
        )
        messages = stream.__aiter__()
        snapshot = await _next(messages, lambda m: m.type == "snapshot", "the snapshot")
        assert snapshot.channel == "orders"
        first = await asyncio.to_thread(_place, rest)
        created = await _next(
            messages, lambda m: m.type == "update" and m.data["id"] == first.id, "the order"
        )
        assert Decimal(created.data["quantity"]) == Decimal("1")
        assert all(isinstance(order, Order) for order in snapshot.parsed["orders"])
        typed = created.parsed
        assert isinstance(typed, Order)
        assert (typed.id, typed.quantity, typed.limit_price) == (first.id, 1, first.limit_price)
        seq_before_drop = stream.last_seq[("orders", account)]

        # The socket dies; while the client is away, two orders are placed and one canceled.
        await stream.drop()
        missed = [await asyncio.to_thread(_place, rest) for _ in range(2)]
        await asyncio.to_thread(rest.orders.cancel, missed[0].id)

        seen = []
        while not any(
            m.data["id"] == missed[0].id and m.data["status"] == "canceled" for m in seen
        ):
            seen.append(await _next(messages, lambda m: m.type == "update", "missed events"))
        seqs = [m.seq for m in seen]
        assert stream.reconnects >= 1
        assert seqs == list(range(seq_before_drop + 1, seq_before_drop + 1 + len(seqs)))
        assert {m.data["id"] for m in seen} >= {o.id for o in missed}
        await stream.aclose()


async def test_a_refused_subscription_is_an_error(server):
    async with server.async_client("stream") as client:
        stream = client.stream([Subscription("nonsense")])
        with pytest.raises(StreamError) as raised:
            await _next(stream.__aiter__(), lambda m: True, "anything")
        assert raised.value.code == "UNKNOWN_CHANNEL"


async def test_a_simple_key_cannot_open_a_stream(server):
    from trading_client import ConfigurationError

    async with server.async_client("demo") as client:
        with pytest.raises(ConfigurationError):
            await _next(
                client.stream([Subscription("quotes", symbols=("AAPL",))]).__aiter__(),
                lambda m: True,
                "anything",
            )


async def test_quotes_come_as_typed_quotes(server):
    async with server.async_client("stream") as client:
        stream = client.stream([Subscription("quotes", symbols=("AAPL",))])
        messages = stream.__aiter__()
        update = await _next(messages, lambda m: m.type == "update", "a quote update")
        await stream.aclose()

    quote = update.parsed
    assert isinstance(quote, Quote)
    assert quote.symbol == "AAPL"
    assert isinstance(quote.bid, Decimal)
    assert quote.ask >= quote.bid
    assert quote.timestamp.tzinfo is not None


async def test_a_resume_past_the_servers_log_gets_a_resync_snapshot_then_updates(server):
    rest = server.client("stream")
    account = server.accounts["Cl-Stream"]
    async with server.async_client("stream") as client:
        stream = client.stream(
            [Subscription("orders", account=account)], backoff=Backoff(base=0.05, cap=0.2)
        )
        messages = stream.__aiter__()
        first = await _next(messages, lambda m: m.type == "snapshot", "the snapshot")
        assert not first.resync
        # A seq the server never issued, as after its log was wiped: it cannot replay from there.
        stream.last_seq[("orders", account)] = 10**9
        await stream.drop()

        resync = await _next(messages, lambda m: True, "the resync snapshot")
        assert (resync.type, resync.resync) == ("snapshot", True)
        assert stream.last_seq[("orders", account)] == resync.seq < 10**9
        placed = await asyncio.to_thread(_place, rest)
        update = await _next(
            messages, lambda m: m.type == "update" and m.data["id"] == placed.id, "the new order"
        )
        assert update.seq > resync.seq
        await asyncio.to_thread(rest.orders.cancel, placed.id)
        await stream.aclose()
