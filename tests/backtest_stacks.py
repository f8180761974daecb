"""Helpers of the backtest integration tests: a trading key, stored candles, polling."""

import json

import httpx

from tests.harness import Stack, wait_until

SYMBOL = "BTREF"

_SEED_CANDLES = """
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from marketdata.models import Candle, Instrument
from marketdata.services import candles_bulk_insert
instrument, _ = Instrument.objects.get_or_create(
    symbol={symbol!r},
    defaults=dict(name="Backtest reference", asset_class="equity", currency="USD",
                  tick_size=D("0.01"), lot_size=D("1"), min_quantity=D("1"), status="halted",
                  sim_initial_price=D("100"), sim_volatility=D("0.2"), sim_spread_bps=D("1")),
)
if not Candle.objects.filter(instrument=instrument).exists():
    rng, cents, start = random.Random(5), 10000, datetime(2020, 1, 1, tzinfo=UTC)
    rows = []
    for i in range({count}):
        o = cents
        cents = max(100, o + rng.randint(-20, 20))
        rows.append(Candle(instrument=instrument, interval="1m", ts=start + timedelta(minutes=i),
                           open=D(o) / 100, high=D(max(o, cents) + rng.randint(0, 5)) / 100,
                           low=D(min(o, cents) - rng.randint(0, 5)) / 100, close=D(cents) / 100,
                           volume=D(rng.randint(1, 100)), source="import"))
    candles_bulk_insert(candles=rows)
"""


def trade_client(stack: Stack) -> httpx.Client:
    """Return a client holding a fresh read+trade key of the Demo account, limits raised."""
    output = stack.manage(
        "create_api_key",
        "--username",
        stack.username,
        "--account",
        "Demo",
        "--scopes",
        "read,trade",
        "--scheme",
        "simple",
        "--rate-limits",
        json.dumps({"data": "1000/s", "trading": "1000/s"}),
        "--json",
    )
    key = json.loads(output)
    return httpx.Client(
        base_url=f"{stack.base_url}/api/v1",
        headers={"Authorization": f"Api-Key {key['key_id']}.{key['secret']}"},
        timeout=15,
    )


def candles_seed(stack: Stack, *, count: int) -> None:
    """Store `count` seeded 1-minute candles of SYMBOL (a halted instrument the feed leaves
    alone), once per stack."""
    stack.manage("shell", "-c", _SEED_CANDLES.format(symbol=SYMBOL, count=count))


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def operation_wait(
    client: httpx.Client,
    operation_id: int,
    *,
    until,
    timeout: float,
    what: str,
    interval: float = 0.05,
) -> dict:
    """Poll GET /operations/{id} every `interval` s until `until(body)`; return the body."""
    return wait_until(
        lambda: (body := ok(client.get(f"/operations/{operation_id}"))) and until(body) and body,
        timeout=timeout,
        interval=interval,
        what=what,
    )


def backtest_body(**fields) -> dict:
    return {
        "strategy": "sma_crossover",
        "symbol": SYMBOL,
        "interval": "1m",
        "initial_capital": "100000",
        "parameters": {"fast": 10, "slow": 40},
        **fields,
    }
