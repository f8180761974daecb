"""Reading stored candles into engine bars, with the fingerprint of exactly what was read."""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from backtests.engine import Bars
from backtests.errors import BacktestTooLarge
from marketdata.models import Candle, Instrument
from marketdata.selectors import BASE_INTERVAL, candle_list

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_AFTER = timedelta(microseconds=1)
_OHLCV = ("open", "high", "low", "close", "volume")


@dataclass
class Dataset:
    bars: Bars
    fingerprint: str

    @property
    def first(self) -> datetime | None:
        return _datetime(self.bars.timestamps[0]) if len(self.bars) else None

    @property
    def last(self) -> datetime | None:
        return _datetime(self.bars.timestamps[-1]) if len(self.bars) else None


def _datetime(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def dataset_fingerprint_start(*, symbol: str, interval: str):
    """Return the hash every bar is fed into: sha256 of "SYMBOL|interval" then one line a bar."""
    digest = hashlib.sha256()
    digest.update(f"{symbol}|{interval}\n".encode())
    return digest


def dataset_estimate(
    *, instrument: Instrument, interval: str, start: datetime | None, end: datetime | None
) -> int:
    """Return about how many bars the range holds (stored rows of the interval, else 1m rows
    over the bucket width); for progress only."""
    rows = Candle.objects.filter(instrument=instrument, interval=interval)
    if start is not None:
        rows = rows.filter(ts__gte=start)
    if end is not None:
        rows = rows.filter(ts__lte=end)
    count = rows.count()
    if count or interval == "1m":
        return count
    minutes = Candle.objects.filter(instrument=instrument, interval="1m")
    if start is not None:
        minutes = minutes.filter(ts__gte=start)
    if end is not None:
        minutes = minutes.filter(ts__lte=end)
    per_bucket = {"5m": 5, "15m": 15, "1h": 60, "1d": 1440}.get(interval, 1)
    return -(-minutes.count() // per_bucket)


def _read_stored(*, instrument, interval, start, end, limit) -> list[tuple]:
    """1-minute candles are stored as they are: read the rows themselves, oldest first."""
    rows = Candle.objects.filter(instrument=instrument, interval=interval, ts__gte=start)
    if end is not None:
        rows = rows.filter(ts__lte=end)
    return list(rows.order_by("ts").values_list("ts", *_OHLCV)[:limit])


def _read_selected(*, instrument, interval, start, end, limit) -> list[tuple]:
    """Coarser intervals: the selector's stored-or-aggregated rows."""
    return [
        (row["timestamp"], *(row[name] for name in _OHLCV))
        for row in candle_list(
            instrument=instrument, interval=interval, start=start, end=end, limit=limit
        )
    ]


def dataset_load(
    *,
    instrument: Instrument,
    interval: str,
    start: datetime | None,
    end: datetime | None,
    on_chunk: Callable[[int], None] | None = None,
) -> Dataset:
    """Read the candles of [start, end] oldest first, in chunks of BACKTEST_LOAD_CHUNK.

    Coarser intervals come aggregated from 1-minute candles by the market-data selector.
    `on_chunk(bars_read)` runs after each chunk (and may raise to stop). Raises
    BacktestTooLarge past BACKTEST_MAX_BARS.
    """
    chunk = settings.BACKTEST_LOAD_CHUNK
    limit = settings.BACKTEST_MAX_BARS
    digest = dataset_fingerprint_start(symbol=instrument.symbol, interval=interval)
    columns: dict[str, list] = {name: [] for name in ("timestamps", *_OHLCV)}
    cursor = start or _EPOCH
    read = _read_stored if interval == BASE_INTERVAL else _read_selected
    timestamps = columns["timestamps"]
    while True:
        rows = read(instrument=instrument, interval=interval, start=cursor, end=end, limit=chunk)
        lines = []
        for ts, *values in rows:
            epoch = int(ts.timestamp())
            timestamps.append(epoch)
            for name, value in zip(_OHLCV, values, strict=True):
                columns[name].append(value)
            # normalize() then "f": one text per number whatever the column's scale.
            lines.append(f"{epoch}|{'|'.join(format(v.normalize(), 'f') for v in values)}\n")
        digest.update("".join(lines).encode())
        count = len(columns["timestamps"])
        if count > limit:
            raise BacktestTooLarge(
                f"The range holds more than {limit} bars: narrow it or use a coarser interval",
                details={"max_bars": limit},
            )
        if on_chunk is not None:
            on_chunk(count)
        if len(rows) < chunk:
            break
        cursor = rows[-1][0] + _AFTER
    return Dataset(bars=Bars.from_columns(**columns), fingerprint=digest.hexdigest())


# A sweep's children that run in the same process share one read of the candles: the most
# recent sweeps' datasets, by (sweep, instrument, interval, start, end).
_SWEEP_DATASETS: OrderedDict[tuple, Dataset] = OrderedDict()
_SWEEP_DATASETS_KEPT = 2
_SWEEP_DATASETS_LOCK = threading.Lock()


def dataset_load_for_sweep(
    *,
    sweep_id: int,
    instrument: Instrument,
    interval: str,
    start: datetime | None,
    end: datetime | None,
    on_chunk: Callable[[int], None] | None = None,
) -> Dataset:
    """Return the dataset of a sweep, read once per process (the first child reads it).

    Every child of one sweep in one process backtests the same snapshot of the candles, so the
    ranking compares like with like; children in other processes read their own, and the
    fingerprint says whether they saw the same candles. Only the last two sweeps are kept.
    """
    key = (sweep_id, instrument.pk, interval, start, end)
    with _SWEEP_DATASETS_LOCK:
        dataset = _SWEEP_DATASETS.get(key)
        if dataset is not None:
            _SWEEP_DATASETS.move_to_end(key)
    if dataset is None:
        dataset = dataset_load(
            instrument=instrument, interval=interval, start=start, end=end, on_chunk=on_chunk
        )
        with _SWEEP_DATASETS_LOCK:
            _SWEEP_DATASETS[key] = dataset
            while len(_SWEEP_DATASETS) > _SWEEP_DATASETS_KEPT:
                _SWEEP_DATASETS.popitem(last=False)
    elif on_chunk is not None:
        on_chunk(len(dataset.bars))
    return dataset
