"""Choices of the market-data models and API."""

from django.db import models


class AssetClass(models.TextChoices):
    EQUITY = "equity", "Equity"
    FX = "fx", "FX"
    CRYPTO = "crypto", "Crypto"


class InstrumentStatus(models.TextChoices):
    TRADING = "trading", "Trading"
    HALTED = "halted", "Halted"


class CandleInterval(models.TextChoices):
    M1 = "1m", "1 minute"
    M5 = "5m", "5 minutes"
    M15 = "15m", "15 minutes"
    H1 = "1h", "1 hour"
    D1 = "1d", "1 day"


class MarketDataSource(models.TextChoices):
    SIMULATOR = "simulator", "Simulator"
    REPLAY = "replay", "Replay"
    IMPORT = "import", "Import"


# Bucket width of each interval; buckets start at multiples of it since the Unix epoch (UTC).
INTERVAL_SECONDS: dict[str, int] = {
    CandleInterval.M1: 60,
    CandleInterval.M5: 300,
    CandleInterval.M15: 900,
    CandleInterval.H1: 3600,
    CandleInterval.D1: 86400,
}
