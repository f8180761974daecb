"""Cost of order entry over HTTP: POST /api/v1/orders next to an authenticated GET baseline.

Starts its own server (`manage.py serve` on a free loopback port, engine off) over a fresh SQLite
database in a temporary directory (or a fresh database on the PostgreSQL of DATABASE_URL), seeds
the demo instruments, a funded account and an HMAC-signed key with high rate limits. Each order
carries its own Idempotency-Key and client_order_id and goes through validation, the trading
gate, every risk rule, the balance lock, the order events and the audit rows. Prints orders/s and
p50/p99 at concurrency 1, 8 and 32 next to `GET /api/v1/balances` with the same key, and the ratio.

    .venv/bin/python bench/bench_orders.py [--requests 600] [--concurrency 1 8 32]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx
from common import free_port, manage, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
USERNAME = "bench"
UNLIMITED = "1000000/s"
SYMBOLS = ("AAPL", "MSFT", "SPY")


def setup(env: dict, password: str) -> dict:
    """Migrate, seed instruments, fund a Bench account; return an HMAC key's credentials."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo")
    manage(
        env,
        "shell",
        "-c",
        "from decimal import Decimal\n"
        "from django.contrib.auth import get_user_model as U\n"
        "from access.models import Account\n"
        "from access.services import account_create, membership_add\n"
        "from portfolio.services import balance_deposit\n"
        f"user = U().objects.filter(username={USERNAME!r}).first() or "
        f"U().objects.create_superuser({USERNAME!r}, '', {password!r})\n"
        "account = Account.objects.filter(name='Bench').first() or account_create(name='Bench')\n"
        "membership_add(user=user, account=account, is_default=True)\n"
        "balance_deposit(account=account, currency='USD', amount=Decimal('1000000000000'))\n",
    )
    limits = json.dumps({"data": UNLIMITED, "trading": UNLIMITED})
    return json.loads(
        manage(
            env,
            "create_api_key",
            "--username",
            USERNAME,
            "--account",
            "Bench",
            "--scopes",
            "read,trade",
            "--scheme",
            "hmac",
            "--rate-limits",
            limits,
            "--json",
        )
    )


def signed(key: dict, method: str, path: str, query: str = "", body: bytes = b"") -> dict:
    timestamp = str(int(time.time() * 1000))
    message = f"{timestamp}{method}{path}".encode()
    if query:
        message += f"?{query}".encode()
    message += body
    signature = hmac.new(key["secret"].encode(), message, hashlib.sha256).hexdigest()
    return {"X-API-Key": key["key_id"], "X-Timestamp": timestamp, "X-Signature": signature}


def order_request(key: dict, n: int) -> tuple[str, str, dict, bytes]:
    body = json.dumps(
        {
            "symbol": SYMBOLS[n % len(SYMBOLS)],
            "side": "buy",
            "order_type": "limit",
            "quantity": "1",
            "limit_price": "1.00",
            "client_order_id": uuid.uuid4().hex,
        }
    ).encode()
    headers = {
        **signed(key, "POST", "/api/v1/orders", body=body),
        "Content-Type": "application/json",
        "Idempotency-Key": uuid.uuid4().hex,
    }
    return "POST", "/api/v1/orders", headers, body


def balances_request(key: dict, n: int) -> tuple[str, str, dict, bytes]:
    # A distinct query per request: signed requests must never repeat a message.
    query = f"n={n}"
    return "GET", f"/api/v1/balances?{query}", signed(key, "GET", "/api/v1/balances", query), b""


async def measure(base: str, build, key: dict, requests: int, concurrency: int, ok: int) -> dict:
    """Send `requests` requests with `concurrency` workers; return rps, p50, p99 and failures."""
    latencies: list[float] = []
    failures = 0
    counter = iter(range(requests))

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def worker():
            nonlocal failures
            for n in counter:
                method, path, headers, body = build(key, n)
                started = time.perf_counter()
                response = await client.request(method, path, headers=headers, content=body)
                latencies.append(time.perf_counter() - started)
                if response.status_code != ok:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "failures": failures,
    }


def postgres_database(env: dict) -> str | None:
    """Point DATABASE_URL at a fresh database on the same server; return its admin URL."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    import psycopg

    name = f"bench_orders_{secrets.token_hex(4)}"
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urlparse(url)._replace(path=f"/{name}").geturl()
    return admin


def postgres_drop(admin: str, env: dict) -> None:
    import psycopg

    name = urlparse(env["DATABASE_URL"]).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="per row")
    parser.add_argument("--warmup", type=int, default=50, help="per row, not measured")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-orders-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "trading_api.settings",
            "LOCAL_DIR": tmp,
            "SQLITE_PATH": str(Path(tmp) / "db.sqlite3"),
            "ENGINE_EMBEDDED": "false",
            "RATE_LIMIT_DATA": UNLIMITED,
            "RATE_LIMIT_TRADING": UNLIMITED,
            "MARKET_SEED_HISTORY_DAYS": "0",
            "LOG_LEVEL": "WARNING",
        }
        admin = postgres_database(env)
        try:
            key = setup(env, secrets.token_urlsafe(16))
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = subprocess.Popen(
                [PYTHON, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                wait_until_up(base, server)
                rows = []
                for concurrency in args.concurrency:
                    for name, build, ok in (
                        ("GET /balances", balances_request, 200),
                        ("POST /orders", order_request, 201),
                    ):
                        asyncio.run(measure(base, build, key, args.warmup, concurrency, ok))
                        result = asyncio.run(
                            measure(base, build, key, args.requests, concurrency, ok)
                        )
                        rows.append((concurrency, name, result))
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
        finally:
            if admin:
                postgres_drop(admin, env)

    database = "PostgreSQL" if admin else "SQLite"
    print(
        f"\nOrder entry vs authenticated GET, HMAC-signed key, {args.requests} requests per row, "
        f"one daphne process, {database}, loopback\n"
    )
    print(
        f"{'conc':>4}  {'endpoint':<15}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'cost':>8}{'err':>6}"
    )
    baseline = {}
    for concurrency, name, row in rows:
        if name.startswith("GET"):
            baseline[concurrency] = row["rps"]
        ratio = baseline[concurrency] / row["rps"]
        print(
            f"{concurrency:>4}  {name:<15}{row['rps']:>9.0f}{row['p50_ms']:>9.2f}"
            f"{row['p99_ms']:>9.2f}{ratio:>7.2f}x{row['failures']:>6}"
        )
    print("\ncost = baseline req/s / row req/s (target for POST /orders: at most 3x)")


if __name__ == "__main__":
    main()
