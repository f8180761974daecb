"""Backtest engine speed: next to backtesting.py on GOOG, scaling with bars, sweeps over workers.

1. GOOG daily (2,148 bars, shipped with backtesting.py), SMA crossover 10/20 long/short,
   commission 0.2 %: our engine (simulation with Decimal accounting, statistics) and
   backtesting.py's `Backtest.run` in the same process, median ms per run, the ratio, and
   whether the trade lists are identical (entry/exit bar, prices, signed size).
2. Seeded random-walk bars, 10k to 1M: the same strategy, bars per second.
3. A 64-combination sweep over real Celery workers (PostgreSQL and Redis, a stack like the
   services suite's: `DATABASE_URL`/`REDIS_URL`, default local PostgreSQL and Redis database
   13) on one solo worker
   process, then on two: wall time from POST to the parent operation completed, and the
   speed-up.

    .venv/bin/python bench/bench_backtest.py [--repeat 20] [--sizes 10000,100000,1000000]
                                             [--sweep-bars 20000] [--sections goog,scaling,sweep]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")

import django

django.setup()

from backtesting import Backtest  # noqa: E402
from backtesting import Strategy as ReferenceStrategy  # noqa: E402
from backtesting.lib import crossover  # noqa: E402
from backtesting.test import GOOG, SMA  # noqa: E402

from backtests.engine import Bars, Costs, simulate  # noqa: E402
from backtests.statistics import drawdown_pct, statistics_compute  # noqa: E402
from backtests.strategies import STRATEGIES  # noqa: E402

D = Decimal
CAPITAL = D(10_000)


class SmaCross(ReferenceStrategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


def costs(quantum: str) -> Costs:
    return Costs(
        commission_rate=D("0.002"),
        slippage_bps=D(0),
        tick_size=D("0.01"),
        lot_size=D(1),
        fee_quantum=D(quantum),
    )


def our_run(bars: Bars, *, fast: int, slow: int, quantum: str = "1E-8"):
    """One complete run: simulation and every statistic (what backtesting.py's run does)."""
    run = simulate(
        bars=bars,
        strategy=STRATEGIES["sma_crossover"](fast=fast, slow=slow, allow_short=True),
        initial_capital=CAPITAL,
        costs=costs(quantum),
    )
    statistics_compute(
        simulation=run,
        timestamps=bars.timestamps,
        initial_capital=CAPITAL,
        drawdown=drawdown_pct(run.equity_floats),
    )
    return run


def goog_bars() -> Bars:
    return Bars.from_columns(
        timestamps=[int(ts.replace(tzinfo=UTC).timestamp()) for ts in GOOG.index.to_pydatetime()],
        **{
            name: [D(repr(float(v))) for v in GOOG[name.capitalize()]]
            for name in ("open", "high", "low", "close", "volume")
        },
    )


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def section_goog(repeat: int) -> None:
    bars = goog_bars()
    ours_ms, ours = timed(lambda: our_run(bars, fast=10, slow=20), repeat)
    reference = Backtest(GOOG, SmaCross, cash=10_000, commission=0.002, exclusive_orders=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_ms, stats = timed(reference.run, max(3, repeat // 2))
    their_trades = [
        (int(r.EntryBar), int(r.ExitBar), D(repr(float(r.EntryPrice))),
         D(repr(float(r.ExitPrice))), D(int(r.Size)))
        for r in stats._trades.itertuples()
    ]  # fmt: skip
    our_trades = [
        (t.entry_bar, t.exit_bar, t.entry_price, t.exit_price, t.sign * t.quantity)
        for t in ours.trades
    ]
    final_ours = ours.equity[-1].quantize(D("0.01"))
    final_theirs = D(repr(float(stats["Equity Final [$]"]))).quantize(D("0.01"))
    print(f"GOOG daily, {len(bars)} bars, SMA crossover 10/20 long/short, commission 0.2 %")
    print(f"{'engine':16} {'ms/run':>9} {'trades':>7} {'final equity':>14}")
    print(f"{'ours':16} {ours_ms:9.2f} {len(our_trades):7} {final_ours:>14}")
    print(f"{'backtesting.py':16} {theirs_ms:9.2f} {len(their_trades):7} {final_theirs:>14}")
    identical = our_trades == their_trades and final_ours == final_theirs
    print(
        f"ratio {theirs_ms / ours_ms:.1f}x faster; trades and final equity identical: {identical}"
    )


def random_walk(count: int, *, seed: int) -> Bars:
    rng = random.Random(seed)
    cents, opens, highs, lows, closes, volumes = 10_000, [], [], [], [], []
    for _ in range(count):
        open_ = cents
        cents = max(100, open_ + rng.randint(-25, 25))
        opens.append(D(open_) / 100)
        closes.append(D(cents) / 100)
        highs.append(D(max(open_, cents) + rng.randint(0, 8)) / 100)
        lows.append(D(min(open_, cents) - rng.randint(0, 8)) / 100)
        volumes.append(D(rng.randint(1, 500)))
    start = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())
    return Bars.from_columns(
        timestamps=[start + 60 * i for i in range(count)],
        open=opens,
        high=highs,
        low=lows,
        close=closes,
        volume=volumes,
    )


def section_scaling(sizes: list[int]) -> None:
    print()
    print("Synthetic 1-minute random walk, SMA crossover 10/50 long/short, commission 0.2 %")
    print(f"{'bars':>10} {'ms/run':>10} {'bars/s':>12} {'trades':>8}")
    for size in sizes:
        bars = random_walk(size, seed=size)
        repeat = 5 if size <= 100_000 else 2
        ms, run = timed(lambda bars=bars: our_run(bars, fast=10, slow=50, quantum="0.01"), repeat)
        print(f"{size:>10,} {ms:10.1f} {size / (ms / 1000):12,.0f} {len(run.trades):8,}")


def section_sweep(bars: int) -> None:
    from tests.backtest_stacks import SYMBOL, candles_seed, ok, operation_wait, trade_client
    from tests.harness import stack_create

    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trading")
    # Not the test suites' database 15: their cache.clear() flushes the whole Redis database,
    # queued Celery messages of any stack on it included.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # SIGTERM stops the stack's processes too (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    grid = {"fast": [3, 5, 8, 10, 13, 15, 20, 25], "slow": [30, 40, 50, 60, 80, 100, 150, 200]}
    print()
    print(
        f"Sweep of 64 combinations (SMA crossover) over {bars:,} stored 1-minute bars of {SYMBOL}"
    )
    print(
        f"{'worker processes':>16} {'wall s':>8} {'backtests/s':>12} {'speed-up':>9}  "
        "backtests per process; load average before"
    )
    with tempfile.TemporaryDirectory() as workdir:
        stack = stack_create(Path(workdir), services=True)
        try:
            stack.start_web()
            candles_seed(stack, count=bars)
            with trade_client(stack) as client:
                baseline = None
                for workers in (1, 2):
                    while len([p for p in stack.processes if p.name == "worker"]) < workers:
                        stack.start_worker()
                    body = {
                        "strategy": "sma_crossover",
                        "symbol": SYMBOL,
                        "interval": "1m",
                        "grid": grid,
                        "parameters": {"allow_short": True},
                    }
                    load_before = os.getloadavg()[0]
                    started = time.perf_counter()
                    accepted = ok(client.post("/backtests/sweeps", json=body), 202)
                    done = operation_wait(
                        client,
                        accepted["operation_id"],
                        until=lambda b: b["status"] in ("completed", "failed", "cancelled"),
                        timeout=1800,
                        what="sweep",
                        interval=0.5,
                    )
                    wall = time.perf_counter() - started
                    assert done["status"] == "completed", done
                    baseline = baseline or wall
                    path = f"/operations?parent={accepted['operation_id']}&limit=100"
                    children = ok(client.get(path))["results"]
                    per_process = sorted(
                        Counter(child["worker"] for child in children).values(), reverse=True
                    )
                    print(
                        f"{workers:>16} {wall:8.1f} {64 / wall:12.2f} {baseline / wall:8.2f}x  "
                        f"{'/'.join(map(str, per_process))}; {load_before:.2f}"
                    )
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--sweep-bars", type=int, default=20_000)
    parser.add_argument("--sections", default="goog,scaling,sweep")
    args = parser.parse_args()
    sections = args.sections.split(",")
    if "goog" in sections:
        section_goog(args.repeat)
    if "scaling" in sections:
        section_scaling([int(s) for s in args.sizes.split(",")])
    if "sweep" in sections:
        section_sweep(args.sweep_bars)


if __name__ == "__main__":
    main()
