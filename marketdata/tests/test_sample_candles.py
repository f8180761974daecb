"""The shipped sample CSV is what the project generates, and import_candles reads all of it."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from marketdata.enums import CandleInterval
from marketdata.management.commands.sample_candles import SAMPLE_START
from marketdata.models import Candle
from marketdata.seed import sample_candles_csv

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "aapl-1d.csv"


def test_the_shipped_sample_is_what_sample_candles_writes():
    assert SAMPLE.read_text() == sample_candles_csv(
        symbol="AAPL", interval="1d", start=SAMPLE_START, bars=60
    )


def test_import_candles_reads_the_sample(aapl):
    out = StringIO()

    call_command("import_candles", str(SAMPLE), "--symbol", "AAPL", "--interval", "1d", stdout=out)

    candles = Candle.objects.filter(instrument=aapl, interval=CandleInterval.D1).order_by("ts")
    assert candles.count() == 60
    first = candles.first()
    assert first is not None
    assert (first.ts, first.open, first.close) == (SAMPLE_START, Decimal("190"), Decimal("192.2"))
