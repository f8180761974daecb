"""Streaming through real daphne processes and a real `websockets` client, in both run modes."""

import contextlib
import signal
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.harness import Stack, free_port, stack_create, wait_until
from tests.stream_client import Keys, StreamClient, keys_make, market_order, updates

pytestmark = pytest.mark.integration

# The web process the slow-client tests use: a small kernel buffer per socket and a small queue,
# so a client that stops reading is felt within a few tens of kilobytes.
SLOW_ENV = {"STREAM_SEND_BUFFER_BYTES": "4096", "STREAM_QUEUE_LIMIT": "5"}
CLOSE_TOO_SLOW = 4408
CLOSE_TRY_AGAIN_LATER = 4503


class Topology:
    """A stack with named web processes: `a` and `b` (plain) and `slow` (SLOW_ENV)."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.urls: dict[str, str] = {}
        self.keys: Keys | None = None

    def web(self, name: str, extra_env: dict | None = None) -> str:
        self.stack.start_web(extra_env)
        self.urls[name] = self.stack.base_url
        return self.stack.base_url


@pytest.fixture(scope="module")
def services_topology(tmp_path_factory) -> Iterator[Topology]:
    stack = stack_create(tmp_path_factory.mktemp("streaming-services"), services=True)
    topology = Topology(stack)
    try:
        topology.web("a")
        topology.web("b")
        topology.web("slow", SLOW_ENV)
        stack.start_engine()
        topology.keys = keys_make(stack, base_url=topology.urls["a"])
        yield topology
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def embedded_topology(tmp_path_factory) -> Iterator[Topology]:
    """One embedded process serves every role: `a`, `b` and `slow` are the same server."""
    stack = stack_create(tmp_path_factory.mktemp("streaming-embedded"), services=False)
    topology = Topology(stack)
    try:
        url = topology.web("a", SLOW_ENV)
        topology.urls.update(b=url, slow=url)
        topology.keys = keys_make(stack, base_url=url)
        yield topology
    finally:
        stack.stop()


@pytest.fixture(params=["embedded", pytest.param("services", marks=pytest.mark.services)])
def topology(request) -> Topology:
    return request.getfixturevalue(f"{request.param}_topology")


def _quote_ready(rest: httpx.Client) -> None:
    wait_until(lambda: rest.get("/quotes/MSFT").status_code == 200, timeout=30, what="a quote")


def _filled(rest: httpx.Client, order_ids: list[int]) -> bool:
    return all(rest.get(f"/orders/{i}").json()["status"] == "filled" for i in order_ids)


def _order_filled_on(messages: list[dict], order_id: int) -> bool:
    return any(
        m["event"] == "order.filled" and m["data"]["id"] == order_id
        for m in updates(messages, "orders")
    )


def _contiguous(seqs: list[int], start: int) -> bool:
    return seqs == list(range(start + 1, start + 1 + len(seqs)))


# --- account events across processes -------------------------------------------------------
def test_an_order_on_one_web_process_streams_to_a_socket_on_another(topology):
    keys = topology.keys
    _quote_ready(keys.rest)
    # given a socket on web process b following the four account channels
    client = StreamClient.open(topology.urls["b"], keys)
    starts = {}
    for channel in ("orders", "fills", "positions", "balances"):
        subscribed, _ = client.subscribe(channel)
        starts[channel] = subscribed["seq"]

    # when a market order is placed over REST on web process a
    order = market_order(keys.rest)
    client.until(
        lambda seen: (
            _order_filled_on(seen, order["id"])
            and any(m["data"]["order_id"] == order["id"] for m in updates(seen, "fills"))
            and updates(seen, "positions")
            and len(updates(seen, "balances")) >= 2
        ),
        timeout=30,
        what="the order's events",
    )

    # then each channel's updates number on from the snapshot, one by one, in REST's shape
    for channel, start in starts.items():
        assert _contiguous([m["seq"] for m in updates(client.seen, channel)], start), channel
    fill_event = next(
        m for m in updates(client.seen, "fills") if m["data"]["order_id"] == order["id"]
    )
    rest_fill = keys.rest.get("/fills", params={"order": order["id"]}).json()["results"][0]
    assert fill_event["data"] == rest_fill
    position = updates(client.seen, "positions")[-1]["data"]
    assert isinstance(position["quantity"], str)
    client.close()


# --- a client killed mid-stream ------------------------------------------------------------
def test_a_killed_client_resumes_with_exactly_the_missed_events(topology):
    keys = topology.keys
    _quote_ready(keys.rest)
    # given a reference socket that stays, and a victim on the other web process
    reference = StreamClient.open(topology.urls["b"], keys)
    reference.subscribe("orders")
    victim = StreamClient.open(topology.urls["a"], keys)
    victim.subscribe("orders")
    first = market_order(keys.rest)
    victim.until(lambda s: _order_filled_on(s, first["id"]), timeout=30, what="first order")
    last_seen = updates(victim.seen, "orders")[-1]["seq"]

    # when it dies without a close, orders go on, and it comes back on the other process
    victim.kill()
    second = market_order(keys.rest)
    reference.until(lambda s: _order_filled_on(s, second["id"]), timeout=30, what="2nd order")
    back = StreamClient.open(topology.urls["b"], keys)
    back.send(action="resume", channel="orders", since_seq=last_seen)
    assert back.recv()["type"] == "resumed"
    third = market_order(keys.rest)
    back.until(lambda s: _order_filled_on(s, third["id"]), timeout=30, what="third order")
    reference.until(lambda s: _order_filled_on(s, third["id"]), timeout=30, what="third order")

    # then it received exactly what the reference did after last_seen: none lost, none doubled
    def after(messages):
        return [
            (m["seq"], m["event"], m["data"]["id"], m["data"]["status"])
            for m in updates(messages, "orders")
            if m["seq"] > last_seen
        ]

    resumed = after(back.seen)
    expected = after(reference.seen)[: len(resumed)]
    assert resumed == expected
    assert _contiguous([seq for seq, *_ in resumed], last_seen)
    assert {second["id"], third["id"]} <= {order_id for _, _, order_id, _ in resumed}
    reference.close()
    back.close()


# --- the engine killed mid-fill-stream -----------------------------------------------------
@pytest.mark.services
def test_killing_the_engine_mid_fill_stream_loses_and_doubles_nothing(services_topology):
    topology = services_topology
    keys, stack = topology.keys, topology.stack
    _quote_ready(keys.rest)
    client = StreamClient.open(topology.urls["a"], keys)
    fills_start = client.subscribe("fills")[0]["seq"]

    # when orders stream in over REST on b while the engine dies and a new one takes over
    rest_b = httpx.Client(base_url=f"{topology.urls['b']}/api/v1", headers=keys.rest.headers)
    orders = [market_order(rest_b) for _ in range(4)]
    engine = next(p for p in stack.processes if p.name == "engine" and p.alive())
    engine.stop(signal.SIGKILL)
    orders += [market_order(rest_b) for _ in range(4)]
    stack.start_engine()
    ids = [order["id"] for order in orders]
    wait_until(lambda: _filled(rest_b, ids), timeout=60, what="every order filled")

    # then the socket saw each fill exactly once, numbered without a gap
    rest_fills = {
        fill["id"]
        for order_id in ids
        for fill in rest_b.get("/fills", params={"order": order_id}).json()["results"]
    }
    client.until(
        lambda seen: rest_fills <= {m["data"]["id"] for m in updates(seen, "fills")},
        timeout=30,
        what="every fill on the socket",
    )
    seen = [m for m in updates(client.seen, "fills") if m["data"]["order_id"] in ids]
    assert sorted(m["data"]["id"] for m in seen) == sorted(rest_fills)
    assert _contiguous([m["seq"] for m in updates(client.seen, "fills")], fills_start)
    client.close()


# --- slow consumers ------------------------------------------------------------------------
def _symbols(rest: httpx.Client) -> list[str]:
    return [i["symbol"] for i in rest.get("/instruments").json()["results"]]


def _ticks_pass(rest: httpx.Client, count: int) -> str:
    """Wait until the feed has quoted MSFT `count` more times; return the last timestamp."""
    stamps: set[str] = set()

    def newest():
        stamps.add(rest.get("/quotes/MSFT").json()["timestamp"])
        return len(stamps) > count and max(stamps)

    return wait_until(newest, timeout=60, what=f"{count} quotes", interval=0.05)


def test_a_slow_client_gets_conflated_quotes(topology):
    keys = topology.keys
    _quote_ready(keys.rest)
    symbols = _symbols(keys.rest)
    client = StreamClient.open(topology.urls["slow"], keys, receive_buffer=4096)
    client.subscribe("quotes", symbols=symbols)
    client.subscribe("orderbook", symbols=symbols)

    # when the client reads nothing while the feed ticks on
    ticks = 24
    latest = _ticks_pass(keys.rest, ticks)
    client.until(
        lambda seen: any(
            m["symbol"] == "MSFT" and m["data"]["timestamp"] >= latest
            for m in updates(seen, "quotes")
        ),
        timeout=60,
        what="the client to catch up",
    )

    # then it caught up with fewer MSFT quotes than were published: the skipped show in seq
    msft = [m for m in updates(client.seen, "quotes") if m["symbol"] == "MSFT"]
    assert len(msft) < ticks
    quote_seqs = [m["seq"] for m in client.seen if m.get("channel") == "quotes"]
    assert quote_seqs == sorted(quote_seqs)
    assert quote_seqs[-1] > len(quote_seqs)  # gaps: conflated updates were never sent
    client.close()


def test_a_slow_client_of_account_events_is_closed_and_resumes_exactly(topology):
    keys = topology.keys
    _quote_ready(keys.rest)
    reference = StreamClient.open(topology.urls["b"], keys)
    reference.subscribe("orders")
    slow = StreamClient.open(topology.urls["slow"], keys, receive_buffer=4096)
    since = slow.subscribe("orders")[0]["seq"]
    slow.subscribe("orderbook", symbols=_symbols(keys.rest))

    # when it reads nothing while its buffers fill and orders are placed
    _ticks_pass(keys.rest, 6)
    orders = [market_order(keys.rest) for _ in range(10)]
    ids = [order["id"] for order in orders]

    # then it is closed with 4408, and resuming from its last seq gets exactly the rest
    assert slow.drain_until_closed(timeout=60) == CLOSE_TOO_SLOW
    wait_until(lambda: _filled(keys.rest, ids), timeout=60, what="the orders filled")
    assert slow.seen[-1]["code"] == "TOO_SLOW"
    got = updates(slow.seen, "orders")
    last_seen = got[-1]["seq"] if got else since
    back = StreamClient.open(topology.urls["a"], keys)
    back.send(action="resume", channel="orders", since_seq=last_seen)
    back.until(lambda s: _order_filled_on(s, ids[-1]), timeout=30, what="the resumed events")
    reference.until(lambda s: _order_filled_on(s, ids[-1]), timeout=30, what="reference")

    def after(messages):
        return [(m["seq"], m["event"], m["data"]["id"]) for m in updates(messages, "orders")]

    before = [m for m in after(reference.seen) if since < m[0] <= last_seen]
    assert after(slow.seen) == before
    resumed = after(back.seen)
    assert resumed == [m for m in after(reference.seen) if m[0] > last_seen][: len(resumed)]
    assert _contiguous([seq for seq, *_ in resumed], last_seen)
    reference.close()
    back.close()


# --- Redis unavailable ---------------------------------------------------------------------
@contextlib.contextmanager
def _private_redis() -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_until(
            lambda: (
                subprocess.run(
                    ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
                ).stdout.strip()
                == "PONG"
            ),
            timeout=10,
            what="a private redis-server",
        )
        yield url, server
    finally:
        server.kill()
        server.wait(timeout=10)


@pytest.mark.services
def test_without_redis_rest_answers_and_sockets_close_to_resume_later(tmp_path):
    stack = stack_create(tmp_path / "redis-down", services=True)
    with _private_redis() as (url, server):
        try:
            stack.start_web({"REDIS_URL": url})
            keys = keys_make(stack)
            client = StreamClient.open(stack.base_url, keys)
            client.subscribe("orders")

            # when Redis goes away
            server.kill()
            server.wait(timeout=10)

            # then the socket is told to come back later, and REST still reads the database
            assert client.drain_until_closed(timeout=30) == CLOSE_TRY_AGAIN_LATER
            assert client.seen[-1]["code"] == "UNAVAILABLE"
            response = keys.rest.get("/orders")
            assert response.status_code == 200, response.text
        finally:
            stack.stop()
