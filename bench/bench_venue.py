"""Venue matching in-process: quotes/s and per-quote cost as resting orders grow 1k -> 100k.

Builds a MatchingEngine over 100 symbols with N resting orders (limits and stops spread 1-20%
away from the market, a few within reach so fills happen), then plays the same seeded quote
stream through it and through a bare loop; prints quotes/s, microseconds per quote and the
ratio against the bare loop. Orders that fill are replaced so the book stays at N.

    .venv/bin/python bench/bench_venue.py [--quotes 50000] [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")

import django

django.setup()

from venue.matching import Fill, InstrumentTerms, MatchingEngine, VenueOrder  # noqa: E402

D = Decimal
SYMBOLS = 100
TICK = D("0.01")
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@dataclass(frozen=True)
class BenchQuote:
    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    timestamp: datetime


def quotes_make(count: int, *, seed: int = 7) -> list[BenchQuote]:
    """A seeded walk per symbol around 100.00, one quote per symbol in turn."""
    rng = random.Random(seed)
    mids = [D("100.00")] * SYMBOLS
    quotes = []
    for i in range(count):
        s = i % SYMBOLS
        mids[s] = max(D("90.00"), min(D("110.00"), mids[s] + TICK * rng.randint(-5, 5)))
        quotes.append(
            BenchQuote(
                symbol=f"S{s:03d}",
                bid=mids[s] - TICK,
                ask=mids[s] + TICK,
                bid_size=D(rng.randint(1, 100)),
                ask_size=D(rng.randint(1, 100)),
                timestamp=T0 + timedelta(milliseconds=i),
            )
        )
    return quotes


class OrderMaker:
    def __init__(self, seed: int = 11):
        self.rng = random.Random(seed)
        self.next_id = 1

    def make(self, symbol: str) -> VenueOrder:
        rng = self.rng
        side = rng.choice(("buy", "sell"))
        # 2% within reach of the walk (they fill), the rest 1-20% away (they rest).
        is_near = rng.random() < 0.02
        away = D(rng.randint(0, 150) if is_near else rng.randint(100, 2000)) / 10_000
        sign = -1 if side == "buy" else 1
        price = (D("100.00") * (1 + sign * away)).quantize(TICK)
        is_stop = rng.random() < 0.2
        order = VenueOrder(
            order_id=self.next_id,
            symbol=symbol,
            side=side,
            order_type="stop" if is_stop else "limit",
            time_in_force="gtc",
            quantity=D(rng.randint(1, 50)),
            # A stop sits on the other side of the market from a limit of the same side.
            limit_price=None if is_stop else price,
            stop_price=(D("100.00") * (1 - sign * away)).quantize(TICK) if is_stop else None,
            is_accepted=True,
            created_at=T0,
        )
        self.next_id += 1
        return order


def engine_make(resting: int) -> tuple[MatchingEngine, OrderMaker]:
    engine = MatchingEngine(slippage_bps=D("1"))
    for s in range(SYMBOLS):
        engine.set_terms(
            InstrumentTerms(
                symbol=f"S{s:03d}",
                tick_size=TICK,
                lot_size=D("1"),
                currency="USD",
                maker_fee_rate=D("0.0002"),
                taker_fee_rate=D("0.0005"),
            )
        )
    maker = OrderMaker()
    for i in range(resting):
        engine.add(maker.make(f"S{i % SYMBOLS:03d}"))
    return engine, maker


def run_venue(engine: MatchingEngine, maker: OrderMaker, quotes: list[BenchQuote]) -> tuple:
    fills = 0
    started = time.perf_counter()
    for quote in quotes:
        actions = engine.match(quote)
        for action in actions:
            if isinstance(action, Fill):
                fills += 1
                if action.order_id not in engine:
                    engine.add(maker.make(quote.symbol))
    return time.perf_counter() - started, fills


def run_bare(quotes: list[BenchQuote]) -> float:
    seen = 0
    started = time.perf_counter()
    for quote in quotes:
        # The least a consumer does: look at the quote's prices.
        if quote.ask > quote.bid:
            seen += 1
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=50_000)
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    quotes = quotes_make(args.quotes)
    bare = min(run_bare(quotes) for _ in range(3))
    bare_us = bare / len(quotes) * 1e6
    print(f"{len(quotes)} quotes over {SYMBOLS} symbols; bare loop {bare_us:.3f} us/quote")
    header = (
        f"{'resting':>9} {'quotes/s':>10} {'us/quote':>9} {'x bare':>8} {'fills':>7} "
        f"{'build s':>8} {'live after':>10}"
    )
    print(header)
    print("-" * len(header))
    for resting in [int(size) for size in args.sizes.split(",")]:
        built = time.perf_counter()
        engine, maker = engine_make(resting)
        built = time.perf_counter() - built
        elapsed, fills = run_venue(engine, maker, quotes)
        per_quote = elapsed / len(quotes)
        print(
            f"{resting:>9} {len(quotes) / elapsed:>10.0f} {per_quote * 1e6:>9.2f} "
            f"{elapsed / bare:>8.1f} {fills:>7} {built:>8.2f} {len(engine):>10}"
        )


if __name__ == "__main__":
    main()
