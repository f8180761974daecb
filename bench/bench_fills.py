"""How fast the engine applies fills, next to how fast entry places the orders, in one run.

Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL; a fresh database is made on that server and
dropped after). Seeds the demo instruments and 32 funded accounts with the demo risk limits, puts
a quote in the cache, then, with no engine running, places N market buy orders through
`order_submit` (one thread, in process: the baseline, orders per second). Then it starts
`run_engine` and counts how fast the venue fills them (fills per second, the engine's CPU per
fill from /proc, its market feed included), and prints the ratio of the two rates.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/bench_fills.py
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from bench_trading import postgres_database
from common import manage

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SYMBOLS = ("AAPL", "MSFT", "SPY")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _inner(orders: int) -> dict:
    """In the benchmark's database: place the orders, then let an engine fill them."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")
    import django

    django.setup()
    from decimal import Decimal

    from access.services import account_create
    from marketdata.models import Instrument
    from orders.models import Fill
    from orders.services import order_submit
    from orders.tests.helpers import quote_set
    from portfolio.services import balance_deposit
    from risk.seed import DEMO_RISK_CONFIG
    from risk.services import risk_config_get_or_create, risk_config_update

    accounts = []
    for n in range(32):
        account = account_create(name=f"Fills {n}")
        balance_deposit(account=account, currency="USD", amount=Decimal("1000000000"))
        risk_config_get_or_create(account=account)
        risk_config_update(
            account=account,
            changes={
                **DEMO_RISK_CONFIG, "max_orders_per_second": 1000000, "max_open_orders": 1000000,
                "max_gross_exposure": "1000000000", "max_position_notional": "1000000000",
            },
        )  # fmt: skip
        accounts.append(account)
    for symbol in SYMBOLS:
        price = Instrument.objects.get(symbol=symbol).sim_initial_price
        quote_set(symbol, bid=str(price - Decimal("0.01")), ask=str(price + Decimal("0.01")))

    began = time.perf_counter()
    ids = [
        order_submit(
            account=accounts[n % 32], symbol=SYMBOLS[n % 3], side="buy", order_type="market",
            quantity=Decimal(1),
        ).pk
        for n in range(orders)
    ]  # fmt: skip
    entry_s = time.perf_counter() - began

    engine = subprocess.Popen(
        [sys.executable, "manage.py", "run_engine"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        filled = Fill.objects.filter(order_id__in=ids)
        while not filled.exists():
            if time.monotonic() > deadline or engine.poll() is not None:
                raise SystemExit("the engine filled nothing")
            time.sleep(0.05)
        first_at, cpu_first = time.perf_counter(), _cpu_s(engine.pid)
        done = filled.count()
        while done < orders and time.monotonic() < deadline:
            time.sleep(0.05)
            done = filled.count()
        drain_s = time.perf_counter() - first_at
        cpu = _cpu_s(engine.pid) - cpu_first
    finally:
        engine.terminate()
        engine.wait(timeout=30)
    return {
        "orders": orders,
        "entry_per_s": orders / entry_s,
        "fills": done,
        "fills_per_s": done / drain_s,
        "engine_cpu_ms_per_fill": cpu / max(done, 1) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(_inner(args.orders)))
        return

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trading_api.settings",
        "ENGINE_EMBEDDED": "false",
        "MARKET_SEED_HISTORY_DAYS": "0",
        "LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": f"bench-{secrets.token_hex(3)}",
        "CHANNEL_LAYER_PREFIX": f"bench-{secrets.token_hex(3)}",
        "STREAM_LOG_PREFIX": f"bench-{secrets.token_hex(3)}",
    }
    admin, database = postgres_database(env)
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed_demo")
        result = subprocess.run(
            [sys.executable, __file__, "--inner", "--orders", str(args.orders)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(result.stderr[-4000:])
        figures = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    print(f"\n{figures['orders']} market orders over 32 accounts, PostgreSQL + Redis")
    print(f"  entry (baseline, one thread, no engine): {figures['entry_per_s']:8.1f} orders/s")
    print(
        f"  fills applied by run_engine:             {figures['fills_per_s']:8.1f} fills/s "
        f"({figures['fills']} fills, {figures['engine_cpu_ms_per_fill']:.1f} ms engine CPU each)"
    )
    print(f"  fills / entry: {figures['fills_per_s'] / figures['entry_per_s']:.2f}x")


if __name__ == "__main__":
    main()
