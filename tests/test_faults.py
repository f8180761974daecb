"""Faults in the services topology: kill -9 the engine and a web process, drop PostgreSQL's
connections, lose Redis. After each, the books agree with the fills and the audit chain verifies.

The stack has its own PostgreSQL database and its own `redis-server` process, so killing Redis
here touches no other test. Every check goes through the public API: the books are recomputed
from `/fills` and compared with `/balances`, `/positions` and the orders.
"""

import json
import signal
import subprocess
import threading
import uuid
from decimal import Decimal

import httpx
import pytest

from tests.harness import Proc, Stack, free_port, stack_create, wait_until

D = Decimal
pytestmark = [pytest.mark.services, pytest.mark.integration]
DEPOSIT = D("1000000")  # seed_demo's deposit into the Demo account (PORTFOLIO_DEMO_DEPOSIT)
SYMBOL = "MSFT"


class FaultStack:
    """A services stack with a private Redis, and API clients for the Demo account."""

    def __init__(self, stack: Stack, redis_port: int):
        self.stack = stack
        self.redis_port = redis_port
        self.redis: Proc | None = None
        self.web: Proc | None = None
        self.engine: Proc | None = None
        self.key = self._key("read,trade,admin")

    def _key(self, scopes: str) -> dict:
        output = self.stack.manage(
            "create_api_key", "--username", self.stack.username, "--account", "Demo",
            "--scopes", scopes, "--scheme", "simple", "--json",
            "--rate-limits", json.dumps({"data": "10000/s", "trading": "10000/s"}),
        )  # fmt: skip
        return json.loads(output)

    def client(self, timeout: float = 10) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.stack.base_url}/api/v1",
            headers={"Authorization": f"Api-Key {self.key['key_id']}.{self.key['secret']}"},
            timeout=timeout,
        )

    def start_redis(self) -> None:
        self.redis = self.stack.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--save", "", "--appendonly", "no"],
        )
        wait_until(
            lambda: self.stack.assert_alive(self.redis) or "Ready to accept" in self.redis.log(),
            timeout=20,
            what="private redis-server",
        )

    def start_web(self) -> None:
        self.web = self.stack.start_web()

    def start_engine(self) -> None:
        self.engine = self.stack.start_engine()
        wait_until(lambda: "leader:" in self.engine.log(), timeout=30, what="engine leadership")


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    stack = stack_create(tmp_path_factory.mktemp("faults"), services=True)
    redis_port = free_port()
    stack.env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    fault_stack = FaultStack(stack, redis_port)
    try:
        fault_stack.start_redis()
        fault_stack.start_web()
        fault_stack.start_engine()
        with fault_stack.client() as client:
            wait_until(
                lambda: client.get(f"/quotes/{SYMBOL}").status_code == 200,
                timeout=30,
                what="a live quote",
            )
        yield fault_stack
    finally:
        stack.stop()


# --- the books, recomputed from the fills ------------------------------------------------------


def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _all(client: httpx.Client, path: str, **params) -> list[dict]:
    rows: list[dict] = []
    url: str | None = path
    query = {"limit": 200, **params}
    while url:
        body = _ok(client.get(url, params=query))
        rows.extend(body["results"])
        url, query = body.get("next"), {}
    return rows


def books_check(client: httpx.Client) -> None:
    """Cash, locks, positions and orders agree with the fills; the audit chain is intact."""
    fills = _all(client, "/fills")
    orders = _all(client, "/orders")
    ids = [fill["id"] for fill in fills]
    assert len(ids) == len(set(ids)), "a fill is listed twice"

    cash, positions, filled = DEPOSIT, {}, {}
    for fill in fills:
        quantity, price, fee = D(fill["quantity"]), D(fill["price"]), D(fill["fee"])
        sign = 1 if fill["side"] == "buy" else -1
        cash -= sign * quantity * price + fee
        positions[fill["symbol"]] = positions.get(fill["symbol"], D(0)) + sign * quantity
        filled[fill["order_id"]] = filled.get(fill["order_id"], D(0)) + quantity

    balance = {b["currency"]: b for b in _ok(client.get("/balances"))["results"]}["USD"]
    assert D(balance["total"]) == cash
    assert D(balance["total"]) == D(balance["available"]) + D(balance["locked"])
    open_locks = sum(
        (
            D(o["locked_amount"])
            for o in orders
            if o["status"] in ("pending", "open", "partially_filled")
        ),
        D(0),
    )
    assert D(balance["locked"]) == open_locks
    for order in orders:
        assert D(order["filled_quantity"]) == filled.get(order["id"], D(0)), order
    held = {p["symbol"]: D(p["quantity"]) for p in _ok(client.get("/positions"))["results"]}
    for symbol, quantity in positions.items():
        assert held.get(symbol, D(0)) == quantity, symbol
    assert _ok(client.get("/audit/verify"))["intact"] is True


def _market_order(client: httpx.Client, side: str = "buy", key: str | None = None):
    return client.post(
        "/orders",
        json={"symbol": SYMBOL, "side": side, "order_type": "market", "quantity": "1"},
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


def _all_terminal(client: httpx.Client) -> bool:
    return all(
        order["status"] in ("filled", "canceled", "rejected", "expired")
        for order in _all(client, "/orders")
    )


# --- the faults ----------------------------------------------------------------------------


def test_kill_9_of_the_engine_mid_fill_loses_and_doubles_nothing(faults):
    with faults.client() as client:
        ids = [_ok(_market_order(client, side), 201)["id"] for side in ["buy"] * 6 + ["sell"] * 3]
        faults.engine.stop(signal.SIGKILL)
        faults.start_engine()
        wait_until(lambda: _all_terminal(client), timeout=30, what="every order settled")
        statuses = {_ok(client.get(f"/orders/{i}"))["status"] for i in ids}
        assert statuses == {"filled"}
        books_check(client)


def test_kill_9_of_a_web_process_mid_request_then_retries_make_each_order_once(faults):
    keys = [uuid.uuid4().hex for _ in range(12)]
    started = threading.Barrier(4)

    def send(chunk: list[str]) -> None:
        with faults.client(timeout=5) as client:
            started.wait()
            for key in chunk:
                try:
                    _market_order(client, key=key)
                except httpx.TransportError:
                    return  # the server died under us; the retry below sends it again

    threads = [threading.Thread(target=send, args=(keys[i::3],)) for i in range(3)]
    for thread in threads:
        thread.start()
    started.wait()
    faults.web.stop(signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=30)
    faults.start_web()

    with faults.client() as client:
        # A client that saw no answer retries with the same key: one order per key, whatever
        # the dead process had done with it.
        for key in keys:
            response = _market_order(client, key=key)
            assert response.status_code in (200, 201), response.text
        wait_until(lambda: _all_terminal(client), timeout=30, what="every order settled")
        books_check(client)


def test_dropped_postgres_connections_are_survived(faults):
    database = faults.stack.database_name
    assert database is not None
    # psql quotes the name itself (:'db'), reading the statement from stdin.
    terminated = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tA",
            "-v",
            f"db={database}",
        ],
        input="SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = :'db' AND pid <> pg_backend_pid();",
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(terminated.stdout.strip()) >= 1

    with faults.client() as client:
        # The web process opens a new connection per request; the engine re-takes its lock.
        wait_until(lambda: _market_order(client).status_code == 201, timeout=30, what="order entry")
        wait_until(
            lambda: _ok(client.get("/status"))["engine"]["state"] == "running",
            timeout=30,
            what="the engine running again",
        )
        wait_until(lambda: _all_terminal(client), timeout=30, what="every order settled")
        books_check(client)


def test_redis_down_then_back(faults):
    with faults.client() as client:
        below = (D(_ok(client.get(f"/quotes/{SYMBOL}"))["bid"]) * D("0.95")).quantize(D("0.01"))
        order = {"symbol": SYMBOL, "side": "buy", "order_type": "limit", "quantity": "1"}
        resting = _ok(
            client.post(
                "/orders",
                json={**order, "limit_price": str(below)},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            ),
            201,
        )
        faults.redis.stop(signal.SIGKILL)

        health = client.get("/health")
        assert health.headers["content-type"].startswith("application/json")
        assert health.json()["checks"]["cache"] == "down"
        status = _ok(client.get("/status"))
        assert status["connections"]["cache"] == "down"
        # Reads work; a cancel works (it needs no price and frees money).
        _ok(client.get("/balances"))
        _ok(client.get("/orders"))
        assert _ok(client.delete(f"/orders/{resting['id']}"))["status"] in (
            "canceled",
            "pending_cancel",
        )
        # New orders are refused while prices are unknown: a 503 the client retries, never a 500.
        refused = _market_order(client)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] in ("SERVICE_UNAVAILABLE", "CACHE_UNAVAILABLE")

        faults.start_redis()
        wait_until(
            lambda: client.get(f"/quotes/{SYMBOL}").status_code == 200,
            timeout=30,
            what="quotes back",
        )
        _ok(_market_order(client), 201)
        wait_until(lambda: _all_terminal(client), timeout=30, what="every order settled")
        books_check(client)
