"""Market data: instruments, the simulated and replayed feed, candles and quotes."""

from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    name = "marketdata"
    verbose_name = "Market data"
