"""Cost per request on the production arrangement: bare view, auth, reads, order entry, fills.

Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL; a fresh database named bench_trading_<hex> is
made on that server and dropped after). Serves HTTP with `manage.py serve_http` (gunicorn, one
worker per core, a connection pool), seeds the demo instruments and 32 funded accounts with the
demo risk configuration (every rule runs; only the per-second and open-order counts are raised so
a benchmark can place orders at all), one HMAC key per account with raised rate limits (that key
only). Then, at each concurrency, measures req/s, p50/p99, the queries per request (answered by
bench_settings' counting middleware) and the CPU per request of the server processes and their
PostgreSQL backends (utime + stime from /proc) for:

- a bare Django JSON view, `GET /api/v1/me` (HMAC-signed), `GET /api/v1/balances`;
- `POST /api/v1/orders` (resting limit orders) on 1 account and spread over 32 accounts;
- fills: marketable orders over 32 accounts with `run_engine` up, fills applied per second.

The load generator is the project's client (`client/`, `trading_client.AsyncClient` with one
`HmacAuth` per key, retries off so a refusal is counted, not retried); the bare view, which no
client method names, is a plain GET on the same connection pool. The CPU the generator itself
spends per request is printed after the table.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/bench_trading.py
"""

from __future__ import annotations

import argparse
import asyncio
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
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg
from common import free_port, manage, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "client"))  # the client from this checkout, installed or not
from trading_client import AsyncClient, HmacAuth, RetryPolicy, TradingError  # noqa: E402

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
USERNAME = "bench"
ACCOUNTS = 32
SYMBOLS = ("AAPL", "MSFT", "SPY")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SETUP = """
import json
from decimal import Decimal
from django.contrib.auth import get_user_model as U
from access.models import Account
from access.services import account_create, api_key_create, membership_add
from portfolio.services import balance_deposit
from risk.seed import DEMO_RISK_CONFIG
from risk.services import risk_config_get_or_create, risk_config_update
from marketdata.models import Instrument
user = U().objects.create_superuser({username!r}, '', {password!r})
limits = {{"data": "1000000/s", "trading": "1000000/s"}}
keys = []
for n in range({accounts}):
    account = account_create(name=f"Bench {{n}}")
    membership_add(user=user, account=account, is_default=n == 0)
    balance_deposit(account=account, currency="USD", amount=Decimal("1000000000"))
    risk_config_get_or_create(account=account)
    risk_config_update(account=account, changes={{
        **DEMO_RISK_CONFIG, "max_orders_per_second": 1000000, "max_open_orders": 1000000,
        "max_gross_exposure": "1000000000", "max_position_notional": "1000000000",
    }})
    key, secret = api_key_create(
        user=user, account=account, name=f"bench-{{n}}", scopes=["read", "trade"],
        scheme="hmac", rate_limits=limits,
    )
    keys.append({{"key_id": key.key_id, "secret": secret, "account": account.pk}})
instruments = Instrument.objects.filter(symbol__in={symbols!r})
prices = {{i.symbol: str(i.sim_initial_price) for i in instruments}}
print(json.dumps({{"keys": keys, "prices": prices}}))
"""


@dataclass
class Scenario:
    name: str
    ok: int
    send: object  # async (Clients, n) -> None: one request through the client
    keys: list[dict]  # the HMAC keys the clients sign with


class Clients:
    """One AsyncClient per key, sharing one connection pool; `http` for the bare view."""

    def __init__(self, base: str, keys: list[dict], http: httpx.AsyncClient):
        self.http = http
        self.by_key = [
            AsyncClient(
                base, auth=HmacAuth(k["key_id"], k["secret"]), http=http, timeout=60,
                retry=RetryPolicy.disabled(),
            )
            for k in keys
        ]  # fmt: skip


def scenarios(setup: dict) -> dict[str, Scenario]:
    keys = setup["keys"]
    prices = {symbol: Decimal(price) for symbol, price in setup["prices"].items()}

    async def bare(clients, n):
        await clients.http.get("/bench/bare")

    async def me(clients, n):
        # Each signed request has its own timestamp (the client keeps them increasing per key),
        # so no two messages repeat.
        await clients.by_key[0].system.me()

    async def balances(clients, n):
        await clients.by_key[0].portfolio.balances()

    def order(key_of, kind):
        async def send(clients, n):
            symbol = SYMBOLS[n % len(SYMBOLS)]
            fields = {}
            if kind == "resting":  # inside the 50 % price band, far from the market
                limit = (prices[symbol] * Decimal("0.7")).quantize(Decimal("0.01"))
                fields = {"order_type": "limit", "limit_price": limit}
            else:
                fields = {"order_type": "market"}
            # The client sends a fresh Idempotency-Key with every submit.
            await key_of(clients, n).orders.submit(
                symbol, "buy", "1", client_order_id=uuid.uuid4().hex, **fields
            )

        return send

    def first(clients, n):
        return clients.by_key[0]

    def spread(clients, n):
        return clients.by_key[n % len(clients.by_key)]

    return {
        "bare": Scenario("bare Django view", 200, bare, keys),
        "auth": Scenario("authenticated GET /me", 200, me, keys),
        "balances": Scenario("GET /balances", 200, balances, keys),
        "orders1": Scenario("POST /orders, 1 account", 201, order(first, "resting"), keys),
        "orders32": Scenario("POST /orders, 32 accounts", 201, order(spread, "resting"), keys),
        "market32": Scenario("POST market orders, 32 acc.", 201, order(spread, "market"), keys),
    }


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return found


def _backends(admin_url: str, application: str) -> list[int]:
    """Pids of the PostgreSQL backends serving connections named `application`."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application]
        ).fetchall()
    return [pid for (pid,) in rows]


class CpuMeter:
    """CPU seconds used by a process tree and by the PostgreSQL backends of its connections."""

    def __init__(self, roots: list[int], admin_url: str, application: str):
        self.roots, self.admin_url, self.application = roots, admin_url, application

    def sample(self) -> dict[int, float]:
        pids = set(self.roots)
        for root in self.roots:
            pids.update(_children(root))
        pids.update(_backends(self.admin_url, self.application))
        return {pid: _cpu_of(pid) for pid in pids}

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        # A backend that ended during the window loses its share: the pool keeps them alive.
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


async def measure(base: str, scenario: Scenario, requests: int, concurrency: int, meter=None):
    latencies: list[float] = []
    failures: list[str] = []
    queries: list[int] = []
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def answered(response: httpx.Response) -> None:
        queries.append(int(response.headers.get("X-Query-Count", 0)))
        if response.status_code != scenario.ok:
            await response.aread()
            failures.append(f"{response.status_code} {response.text[:200]}")

    hooks = {"response": [answered]}
    async with httpx.AsyncClient(
        base_url=base, timeout=60, limits=limits, event_hooks=hooks
    ) as http:
        clients = Clients(base, scenario.keys, http)

        async def worker():
            for n in counter:
                began = time.perf_counter()
                try:
                    await scenario.send(clients, n)
                except TradingError as error:  # an API error is counted by `answered` already
                    if getattr(error, "status", None) is None:
                        failures.append(f"no answer: {error}")
                latencies.append(time.perf_counter() - began)

        cpu_before = meter.sample() if meter else {}
        generator_before = time.process_time()
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        generator = time.process_time() - generator_before
        cpu = CpuMeter.used(cpu_before, meter.sample()) if meter else 0.0
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "cpu_ms": cpu / requests * 1000,
        "generator_cpu_ms": generator / requests * 1000,
        "generator_busy": generator / elapsed,
        "queries": statistics.median(queries) if queries else 0,
        "failures": failures,
    }


def fill_count(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT count(*) FROM orders_fill").fetchone()[0]


def measure_fills(base: str, env: dict, scenario: Scenario, requests: int, concurrency: int):
    """Market orders with the engine running; return fills applied per second and the entry rate."""
    started_with = fill_count(env["DATABASE_URL"])
    began = time.perf_counter()
    entry = asyncio.run(measure(base, scenario, requests, concurrency))
    deadline = time.monotonic() + 120
    filled = fill_count(env["DATABASE_URL"]) - started_with
    while filled < requests - len(entry["failures"]) and time.monotonic() < deadline:
        time.sleep(0.05)
        filled = fill_count(env["DATABASE_URL"]) - started_with
    return {"fills_per_s": filled / (time.perf_counter() - began), "fills": filled, **entry}


def postgres_database(env: dict) -> tuple[str, str]:
    url = env.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not env.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL: this measures services mode")
    name = f"bench_trading_{secrets.token_hex(4)}"
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urlparse(url)._replace(path=f"/{name}").geturl()
    return admin, name


def _named(env: dict, application: str) -> dict:
    """`env` whose database connections carry `application` as their application_name."""
    url = urlparse(env["DATABASE_URL"])
    query = "&".join(filter(None, [url.query, f"application_name={application}"]))
    return {**env, "DATABASE_URL": url._replace(query=query).geturl()}


def spawn(env: dict, *args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def print_table(rows: list[tuple[int, str, dict]], fills: dict | None) -> None:
    print(
        f"\n{'conc':>4}  {'endpoint':<28}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU ms':>8}{'/bare':>7}{'/auth':>7}{'SQL':>5}{'err':>5}"
    )
    by = {(c, n): r for c, n, r in rows}
    for concurrency, name, row in rows:
        bare, auth = by[(concurrency, "bare")]["cpu_ms"], by[(concurrency, "auth")]["cpu_ms"]
        print(
            f"{concurrency:>4}  {SCENARIO_NAMES[name]:<28}{row['rps']:>8.0f}{row['p50_ms']:>9.1f}"
            f"{row['p99_ms']:>9.1f}{row['cpu_ms']:>8.2f}{row['cpu_ms'] / bare:>6.1f}x"
            f"{row['cpu_ms'] / auth:>6.1f}x{row['queries']:>5.0f}{len(row['failures']):>5}"
        )
    print_generator(rows)
    if fills:
        print(
            f"\nfills (engine running, {fills['fills']} market orders at concurrency 32 over 32 "
            f"accounts): {fills['fills_per_s']:.0f} fills/s applied, entry {fills['rps']:.0f} "
            f"orders/s, p99 {fills['p99_ms']:.0f} ms"
        )
    print_targets(by, fills)


def print_generator(rows: list[tuple[int, str, dict]]) -> None:
    """The load generator's own CPU (this process: the client, httpx, the event loop)."""
    print("\nload generator (the client, one process): CPU ms per request, share of one core")
    for concurrency, name, row in rows:
        print(
            f"{concurrency:>4}  {SCENARIO_NAMES[name]:<28}{row['generator_cpu_ms']:>8.2f}"
            f"{row['generator_busy'] * 100:>7.0f}%"
        )


def _field(by: dict, concurrency: int, name: str, field: str) -> float | None:
    row = by.get((concurrency, name))
    return None if row is None else row[field]


def _ratio(by: dict, concurrency: int, name: str, baseline: str) -> float | None:
    value, base = (
        _field(by, concurrency, name, "cpu_ms"),
        _field(by, concurrency, baseline, "cpu_ms"),
    )
    return None if value is None or not base else value / base


def print_targets(by: dict, fills: dict | None) -> None:
    top = max(c for c, _ in by)
    print("\ntargets (same run):")
    checks = [
        (
            "authenticated GET <= 2x bare view CPU",
            _ratio(by, top, "auth", "bare"),
            2.0,
            "x",
        ),
        (
            "POST /orders <= 2x authenticated GET CPU (32 accounts)",
            _ratio(by, top, "orders32", "auth"),
            2.0,
            "x",
        ),
        ("orders/s at conc 32, 32 accounts >= 300", _field(by, top, "orders32", "rps"), 300, "min"),
        ("orders/s at conc 32, 1 account >= 200", _field(by, top, "orders1", "rps"), 200, "min"),
        (
            "p99 at conc 32 (POST /orders) < 250 ms",
            _field(by, top, "orders32", "p99_ms"),
            250,
            "ms",
        ),
    ]
    if fills:
        checks.append(("fills/s keep pace with entry", fills["fills_per_s"], fills["rps"], "min"))
    order = by.get((top, "orders32"))
    if order and order["cpu_ms"]:
        cores = os.cpu_count() or 1
        print(
            f"  bound: {cores} cores / {order['cpu_ms']:.1f} ms CPU per order (server + PostgreSQL)"
            f" = {cores * 1000 / order['cpu_ms']:.0f} orders/s at most on an idle box; the load"
            f" generator and the other tenants share these cores (load average"
            f" {os.getloadavg()[0]:.1f})"
        )
    for label, value, bound, kind in checks:
        if value is None:
            continue
        met = value >= bound if kind == "min" else value <= bound
        print(f"  {'met ' if met else 'MISS'}  {label}: {value:.2f}")


SCENARIO_NAMES = {
    "bare": "bare Django view",
    "auth": "authenticated GET /me",
    "balances": "GET /balances",
    "orders1": "POST /orders, 1 account",
    "orders32": "POST /orders, 32 accounts",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="per row")
    parser.add_argument("--warmup", type=int, default=60, help="per row, not measured")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--fills", type=int, default=600, help="market orders for the fill row")
    parser.add_argument(
        "--rows", nargs="+", default=list(SCENARIO_NAMES), choices=list(SCENARIO_NAMES)
    )
    parser.add_argument("--pool", type=int, default=10, help="DATABASE_POOL_SIZE (0: none)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--server",
        choices=["gunicorn", "daphne"],
        default="gunicorn",
        help="gunicorn: serve_http (production); daphne: one `serve` process, for comparison",
    )
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT)]),
        "ENGINE_EMBEDDED": "false",
        "MARKET_SEED_HISTORY_DAYS": "0",
        "LOG_LEVEL": "WARNING",
        # One loopback address sends everything: the per-IP limits before authentication
        # (docs/security.md) would cap the benchmark, not the server.
        "RATE_LIMIT_IP": "1000000/s",
        "RATE_LIMIT_AUTH_FAILURES": "1000000/s",
        "DATABASE_POOL_SIZE": str(args.pool),
        "CACHE_KEY_PREFIX": f"bench-{secrets.token_hex(3)}",
        "CHANNEL_LAYER_PREFIX": f"bench-{secrets.token_hex(3)}",
    }
    admin, database = postgres_database(env)
    logs = Path(tempfile.mkdtemp(prefix=f"{database}-"))
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed_demo")
        password = secrets.token_urlsafe(16)
        script = SETUP.format(
            username=USERNAME, password=password, accounts=ACCOUNTS, symbols=SYMBOLS
        )
        setup = json.loads(manage(env, "shell", "-c", script).strip().splitlines()[-1])
        all_scenarios = scenarios(setup)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = ["serve_http", "--workers", str(args.workers)]
        if args.server == "daphne":
            command = ["serve"]
        # The venue consumes what entry hands it, as in production; its work is not counted
        # in the web rows (its connections carry another application_name).
        engine = spawn(_named(env, "bench-engine"), "run_engine", log=logs / "engine.log")
        server = spawn(
            _named(env, "bench-web"), *command, "--port", str(port), log=logs / "web.log"
        )
        rows: list[tuple[int, str, dict]] = []
        fills = None
        try:
            wait_until_up(base, server)
            meter = CpuMeter([server.pid], admin, "bench-web")
            for concurrency in args.concurrency:
                for name in dict.fromkeys(["bare", "auth", *args.rows]):
                    scenario = all_scenarios[name]
                    asyncio.run(measure(base, scenario, args.warmup, concurrency))
                    result = asyncio.run(measure(base, scenario, args.requests, concurrency, meter))
                    if result["failures"]:
                        print(f"{name} @ {concurrency}: {result['failures'][0]}", file=sys.stderr)
                    rows.append((concurrency, name, result))
            if args.fills:
                scenario = all_scenarios["market32"]
                warm_deadline = time.monotonic() + 60
                while asyncio.run(measure(base, scenario, 32, 8))["failures"]:
                    if time.monotonic() > warm_deadline:
                        raise SystemExit("market orders are refused with the engine up")
                    time.sleep(0.5)
                fills = measure_fills(base, env, scenario, args.fills, 32)
        finally:
            stop(server)
            stop(engine)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    arrangement = (
        f"serve_http (gunicorn gthread, {args.workers} workers x 8 threads, pool {args.pool})"
        if args.server == "gunicorn"
        else f"serve (one daphne process, pool {args.pool})"
    )
    print(
        f"\n{arrangement}, PostgreSQL + Redis, {args.requests} requests per row, "
        f"HMAC-signed keys, demo risk limits; CPU = server + PostgreSQL backends per request"
    )
    print_table(rows, fills)


if __name__ == "__main__":
    main()
