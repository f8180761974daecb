"""Benchmark: candle queries over a year of 1-minute history, and simulator throughput.

Run: `.venv/bin/python bench/bench_marketdata.py` (SQLite, a temporary file) or with
DATABASE_URL=postgres://... set (a temporary test database on that server). Prints a table.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from common import timed  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

MINUTES_PER_YEAR = 365 * 24 * 60
INSERT_SQL = (
    "INSERT INTO marketdata_candle"
    " (instrument_id, interval, ts, open, high, low, close, volume, source)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
END = datetime(2026, 1, 1, tzinfo=UTC)


def history_rows(instrument_id: int, minutes: int):
    """Yield a seeded random walk of 1-minute candles ending at END."""
    rng = random.Random(42)
    price = 10_000  # in cents
    start = END - timedelta(minutes=minutes)
    for minute in range(minutes):
        open_ = price
        price = max(100, price + rng.randint(-12, 12))
        high = max(open_, price) + rng.randint(0, 5)
        low = min(open_, price) - rng.randint(0, 5)
        yield (
            instrument_id,
            "1m",
            start + timedelta(minutes=minute),
            Decimal(open_).scaleb(-2),
            Decimal(high).scaleb(-2),
            Decimal(low).scaleb(-2),
            Decimal(price).scaleb(-2),
            Decimal(rng.randint(1, 500)),
            "simulator",
        )


def load_history(instrument_id: int, minutes: int) -> float:
    columns = "instrument_id, interval, ts, open, high, low, close, volume, source"
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY marketdata_candle ({columns}) FROM STDIN") as copy:
                for row in history_rows(instrument_id, minutes):
                    copy.write_row(row)
        else:
            rows = (
                (*row[:2], row[2].strftime("%Y-%m-%d %H:%M:%S"), *map(str, row[3:8]), row[8])
                for row in history_rows(instrument_id, minutes)
            )
            cursor.executemany(INSERT_SQL, rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - began


def bench_candles(minutes: int, runs: int) -> list[tuple[str, str, float, float]]:
    from django.contrib.auth.models import User
    from django.test import Client

    from marketdata.models import Instrument
    from marketdata.seed import DEMO_INSTRUMENTS
    from marketdata.selectors import candle_list

    instrument = Instrument.objects.create(**DEMO_INSTRUMENTS[0])
    seconds = load_history(instrument.id, minutes)
    print(f"loaded {minutes:,} one-minute candles in {seconds:.1f} s ({connection.vendor})")
    mid_year = END - timedelta(days=180)
    results = []
    for interval in ("1m", "1h"):
        for label, start in (("latest", None), ("from mid-year", mid_year)):
            rows = candle_list(instrument=instrument, interval=interval, start=start, limit=500)
            assert len(rows) == 500, (interval, label, len(rows))
            p50, p99 = timed(
                lambda i=interval, s=start: candle_list(
                    instrument=instrument, interval=i, start=s, limit=500
                ),
                runs,
            )
            results.append((f"selector {interval} x500, {label}", "ms", p50, p99))
    # The same through HTTP: routing, auth, validation, serialization and JSON rendering.
    settings.RATE_LIMITS = {"data": "1000000/s", "trading": "1000000/s"}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user = User.objects.create_superuser("bench", password="bench-only-password")
    client = Client()
    client.force_login(user)
    for interval in ("1m", "1h"):
        url = f"/api/v1/candles/AAPL?interval={interval}&limit=500"
        assert client.get(url).status_code == 200
        p50, p99 = timed(lambda u=url: client.get(u), runs)
        results.append((f"HTTP GET /candles {interval} x500, latest", "ms", p50, p99))
    p50, p99 = timed(
        lambda: candle_list(instrument=instrument, interval="1d", limit=365), max(3, runs // 10)
    )
    results.append(("selector 1d x365 (525k minutes grouped)", "ms", p50, p99))
    return results


def bench_simulator(instruments: int, seconds: float) -> list[tuple[str, str, float, float]]:
    from marketdata.simulator import InstrumentSimulator, InstrumentSpec

    specs = [
        InstrumentSpec(
            symbol=f"S{i}",
            tick_size=Decimal("0.01"),
            lot_size=Decimal("1"),
            min_quantity=Decimal("1"),
            initial_price=Decimal("100") + i,
            drift=Decimal("0.05"),
            volatility=Decimal("0.3"),
            spread_bps=Decimal("3"),
            tick_interval_s=Decimal("0.5"),
            seed=i,
        )
        for i in range(instruments)
    ]
    results = []
    for levels in (1, 50):
        simulators = [InstrumentSimulator(spec) for spec in specs]
        now = END
        quotes = 0
        began = time.perf_counter()
        while time.perf_counter() - began < seconds:
            for simulator in simulators:
                simulator.tick(timestamp=now, levels=levels)
            quotes += instruments
        elapsed = time.perf_counter() - began
        results.append((f"simulator, book {levels} level(s)", "quotes/s", quotes / elapsed, quotes))
    # The bare loop draws what one quote with a 1-level book draws: one normal variate for the
    # walk, then sizes, side, print size and two book counts.
    rng = random.Random(1)
    quotes = int(results[0][3])
    began = time.perf_counter()
    for _ in range(quotes):
        rng.gauss(0.0, 1.0)
        for _ in range(6):
            rng.random()
    bare = time.perf_counter() - began
    results.append(("bare loop, same random numbers", "quotes/s", quotes / bare, quotes))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=int, default=MINUTES_PER_YEAR)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--instruments", type=int, default=100)
    parser.add_argument("--sim-seconds", type=float, default=3.0)
    args = parser.parse_args()

    database = settings.DATABASES["default"]
    workdir = tempfile.mkdtemp(prefix="bench-marketdata-")
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(Path(workdir) / "bench.sqlite3")
    old = setup_databases(verbosity=0, interactive=False)
    try:
        candle_results = bench_candles(args.minutes, args.runs)
    finally:
        teardown_databases(old, verbosity=0)
    simulator_results = bench_simulator(args.instruments, args.sim_seconds)

    print()
    print(f"{'measure':<46} {'p50':>12} {'p99':>12}")
    for name, unit, p50, p99 in candle_results:
        print(f"{name:<46} {p50:>9.1f} {unit} {p99:>9.1f} {unit}")
    print()
    print(f"{'measure (' + str(args.instruments) + ' instruments)':<46} {'rate':>16}")
    for name, unit, rate, _ in simulator_results:
        print(f"{name:<46} {rate:>12,.0f} {unit}")
    ratio = simulator_results[2][2] / simulator_results[0][2]
    print(f"simulator cost vs bare random loop (book 1 level): {ratio:.1f}x slower")
    print(f"database: {connection.vendor}; selector and HTTP timings over {args.runs} runs each")


if __name__ == "__main__":
    main()
