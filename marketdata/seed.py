"""Demo instruments and a backfill of simulated 1-minute history, so charts are never empty."""

import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings

from kernel.decimals import decimal_text, step_floor
from marketdata.candles import bucket_start
from marketdata.enums import INTERVAL_SECONDS, AssetClass, CandleInterval, MarketDataSource
from marketdata.models import Candle, Instrument
from marketdata.services import candles_bulk_insert
from marketdata.simulator import PriceWalk

D = Decimal
DEMO_INSTRUMENTS = [
    {
        "symbol": "AAPL",
        "name": "Apple Inc.",
        "asset_class": AssetClass.EQUITY,
        "currency": "USD",
        "tick_size": D("0.01"),
        "lot_size": D("1"),
        "min_quantity": D("1"),
        "sim_initial_price": D("190.00"),
        "sim_drift": D("0.08"),
        "sim_volatility": D("0.25"),
        "sim_spread_bps": D("2"),
        "sim_seed": 1001,
    },
    {
        "symbol": "MSFT",
        "name": "Microsoft Corporation",
        "asset_class": AssetClass.EQUITY,
        "currency": "USD",
        "tick_size": D("0.01"),
        "lot_size": D("1"),
        "min_quantity": D("1"),
        "sim_initial_price": D("415.00"),
        "sim_drift": D("0.07"),
        "sim_volatility": D("0.22"),
        "sim_spread_bps": D("2"),
        "sim_seed": 1002,
    },
    {
        "symbol": "SPY",
        "name": "SPDR S&P 500 ETF Trust",
        "asset_class": AssetClass.EQUITY,
        "currency": "USD",
        "tick_size": D("0.01"),
        "lot_size": D("1"),
        "min_quantity": D("1"),
        "sim_initial_price": D("520.00"),
        "sim_drift": D("0.06"),
        "sim_volatility": D("0.15"),
        "sim_spread_bps": D("1"),
        "sim_seed": 1003,
    },
    {
        "symbol": "EURUSD",
        "name": "Euro / US Dollar",
        "asset_class": AssetClass.FX,
        "currency": "USD",
        "tick_size": D("0.00001"),
        "lot_size": D("1000"),
        "min_quantity": D("1000"),
        "sim_initial_price": D("1.08500"),
        "sim_drift": D("0"),
        "sim_volatility": D("0.07"),
        "sim_spread_bps": D("0.8"),
        "sim_seed": 2001,
    },
    {
        "symbol": "BTCUSD",
        "name": "Bitcoin / US Dollar",
        "asset_class": AssetClass.CRYPTO,
        "currency": "USD",
        "tick_size": D("0.01"),
        "lot_size": D("0.0001"),
        "min_quantity": D("0.0001"),
        "sim_initial_price": D("65000.00"),
        "sim_drift": D("0.15"),
        "sim_volatility": D("0.60"),
        "sim_spread_bps": D("3"),
        "sim_seed": 3001,
    },
]
# Price steps simulated inside each backfilled minute (its high and low come from them).
_STEPS_PER_MINUTE = 6


def _on_tick(price: Decimal, tick: Decimal) -> Decimal:
    return ((price / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick).quantize(tick)


def candles_simulate(
    *, instrument: Instrument, start: datetime, minutes: int, seed: str | int
) -> list[Candle]:
    """Return `minutes` simulated 1-minute candles from `start` (unsaved), seeded by `seed`."""
    tick = instrument.tick_size.normalize()
    lot = instrument.min_quantity.normalize()
    walk = PriceWalk(
        seed=seed,
        price=instrument.sim_initial_price,
        drift=instrument.sim_drift,
        volatility=instrument.sim_volatility,
    )
    sizes = random.Random(f"{seed}:sizes")
    dt = D(60) / _STEPS_PER_MINUTE
    close = _on_tick(walk.price, tick)
    candles = []
    for minute in range(minutes):
        prices = [_on_tick(walk.step(dt), tick) for _ in range(_STEPS_PER_MINUTE)]
        open_ = close
        close = prices[-1]
        volume = sum(
            (
                step_floor(lot * sizes.randint(1, 20), instrument.lot_size.normalize())
                for _ in range(_STEPS_PER_MINUTE)
            ),
            D(0),
        )
        candles.append(
            Candle(
                instrument=instrument,
                interval=CandleInterval.M1,
                ts=start + timedelta(minutes=minute),
                open=open_,
                high=max(open_, *prices),
                low=min(open_, *prices),
                close=close,
                volume=volume,
                source=MarketDataSource.SIMULATOR,
            )
        )
    return candles


def market_data_seed(*, now: datetime | None = None) -> str:
    """Create the demo instruments and backfill 1-minute history for those that have none.

    Idempotent: existing instruments are left as they are (staff may have edited them) and an
    instrument with any 1-minute candle gets no backfill.
    """
    end = bucket_start(now or datetime.now(UTC), 60)
    minutes = settings.MARKET_SEED_HISTORY_DAYS * 24 * 60
    created = backfilled = 0
    for spec in DEMO_INSTRUMENTS:
        fields = {key: value for key, value in spec.items() if key != "symbol"}
        instrument, is_new = Instrument.objects.get_or_create(
            symbol=spec["symbol"], defaults=fields
        )
        created += is_new
        if Candle.objects.filter(instrument=instrument, interval=CandleInterval.M1).exists():
            continue
        # The history has a seed of its own, so the live walk (seeded by sim_seed) does not
        # repeat the moves the backfill shows.
        backfilled += candles_bulk_insert(
            candles=candles_simulate(
                instrument=instrument,
                start=end - timedelta(minutes=minutes),
                minutes=minutes,
                seed=f"{instrument.sim_seed}:history",
            )
        )
    return (
        f"{created} instrument(s) created, {len(DEMO_INSTRUMENTS) - created} kept; "
        f"{backfilled} one-minute candle(s) backfilled"
    )


def sample_candles_csv(
    *, symbol: str, interval: str, start: datetime, bars: int, seed: str = "sample"
) -> str:
    """The demo simulator's bars of `symbol` as an import_candles CSV (Date,Open,...,Volume).

    The same walk as the seed's history, stepped six times per bar. Deterministic for the same
    arguments: the file shipped in docs/samples/ is checked against it. Raises StopIteration for
    a symbol that is not a demo instrument.
    """
    spec = next(spec for spec in DEMO_INSTRUMENTS if spec["symbol"] == symbol.upper())
    instrument = Instrument(**spec)
    tick, lot = instrument.tick_size.normalize(), instrument.min_quantity.normalize()
    walk = PriceWalk(
        seed=f"{spec['sim_seed']}:{seed}",
        price=instrument.sim_initial_price,
        drift=instrument.sim_drift,
        volatility=instrument.sim_volatility,
    )
    sizes = random.Random(f"{spec['sim_seed']}:{seed}:sizes")
    seconds = INTERVAL_SECONDS[interval]
    dt = D(seconds) / _STEPS_PER_MINUTE
    close = _on_tick(walk.price, tick)
    lines = ["Date,Open,High,Low,Close,Volume"]
    for index in range(bars):
        stamp = start + timedelta(seconds=seconds * index)
        prices = [_on_tick(walk.step(dt), tick) for _ in range(_STEPS_PER_MINUTE)]
        open_, close = close, prices[-1]
        volume = sum(
            (step_floor(lot * sizes.randint(100, 2000), lot) for _ in range(_STEPS_PER_MINUTE)),
            D(0),
        )
        when = stamp.date().isoformat() if seconds >= 86400 else stamp.isoformat()[:19] + "Z"
        values = (open_, max(open_, *prices), min(open_, *prices), close, volume)
        lines.append(",".join([when, *(decimal_text(value) for value in values)]))
    return "\n".join(lines) + "\n"
