"""Factories of market-data rows."""

from decimal import Decimal

import factory

from marketdata.enums import AssetClass, CandleInterval, InstrumentStatus, MarketDataSource
from marketdata.models import Candle, Instrument


class InstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instrument
        django_get_or_create = ("symbol",)

    symbol = factory.Sequence(lambda n: f"SYM{n}")
    name = factory.LazyAttribute(lambda o: f"{o.symbol} Corp.")
    asset_class = AssetClass.EQUITY
    currency = "USD"
    tick_size = Decimal("0.01")
    lot_size = Decimal("1")
    min_quantity = Decimal("1")
    status = InstrumentStatus.TRADING
    sim_initial_price = Decimal("100.00")
    sim_drift = Decimal("0.05")
    sim_volatility = Decimal("0.30")
    sim_spread_bps = Decimal("4")
    sim_tick_interval_s = None
    sim_seed = factory.Sequence(lambda n: 100 + n)


class CandleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candle

    instrument = factory.SubFactory(InstrumentFactory)
    interval = CandleInterval.M1
    open = Decimal("100")
    high = Decimal("101")
    low = Decimal("99")
    close = Decimal("100.5")
    volume = Decimal("10")
    source = MarketDataSource.SIMULATOR
