"""manage.py sample_candles [--symbol AAPL] [--interval 1d] [--bars 60] [--output FILE]."""

from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketdata.enums import CandleInterval
from marketdata.seed import DEMO_INSTRUMENTS, sample_candles_csv

# The shipped sample (docs/samples/aapl-1d.csv) is these defaults.
SAMPLE_START = datetime(2025, 1, 1, tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Write simulated OHLCV bars of a demo instrument as a CSV that import_candles reads "
        "(deterministic: the same arguments give the same file)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--symbol", default="AAPL", choices=[spec["symbol"] for spec in DEMO_INSTRUMENTS]
        )
        parser.add_argument(
            "--interval", default=CandleInterval.D1.value, choices=CandleInterval.values
        )
        parser.add_argument("--bars", type=int, default=60)
        parser.add_argument("--output", type=Path, help="Write here instead of to stdout.")

    def handle(self, *args, symbol: str, interval: str, bars: int, output: Path | None, **opts):
        if bars < 1:
            raise CommandError("--bars must be at least 1")
        text = sample_candles_csv(symbol=symbol, interval=interval, start=SAMPLE_START, bars=bars)
        if output is None:
            self.stdout.write(text, ending="")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(f"{bars} {interval} bar(s) of {symbol} written to {output}")
