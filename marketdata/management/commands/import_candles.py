"""manage.py import_candles FILE --symbol S --interval 1d [--skip-invalid]."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketdata.csv_import import CsvFormatError, candles_csv_parse
from marketdata.enums import CandleInterval, MarketDataSource
from marketdata.errors import SymbolNotFound
from marketdata.selectors import instrument_get
from marketdata.services import candles_import

# Files with at least this many data rows get a progress bar.
PROGRESS_MIN_ROWS = 10_000
_BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import OHLCV candles from a CSV file (columns Date, Open, High, Low, Close, Volume in "
        "any order and case). Every row is validated; with any invalid row nothing is written "
        "unless --skip-invalid. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--symbol", required=True)
        parser.add_argument(
            "--interval", default=CandleInterval.D1.value, choices=CandleInterval.values
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and report the invalid ones.",
        )

    def _progress(self, total: int):
        step = max(1, total // 20)
        shown = set()

        def show(done: int) -> None:
            if (done % step and done < total) or done in shown:
                return
            shown.add(done)
            filled = min(_BAR_WIDTH, _BAR_WIDTH * done // total)
            bar = "#" * filled + "." * (_BAR_WIDTH - filled)
            self.stdout.write(
                f"[{bar}] {min(100, 100 * done // total):3d}% {done:,}/{total:,} rows"
            )

        return show, step

    def handle(self, *args, file: Path, symbol: str, interval: str, skip_invalid: bool, **options):
        try:
            instrument = instrument_get(symbol=symbol)
        except SymbolNotFound as exc:
            raise CommandError(exc.message) from None
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with file.open(newline="", encoding="utf-8-sig") as handle:
            data_rows = max(0, sum(1 for line in handle if line.strip()) - 1)
        on_progress, every = None, 10_000
        if data_rows >= PROGRESS_MIN_ROWS:
            on_progress, every = self._progress(data_rows)
        try:
            with file.open(newline="", encoding="utf-8-sig") as handle:
                result = candles_csv_parse(
                    lines=handle, interval=interval, on_progress=on_progress, progress_every=every
                )
        except (CsvFormatError, UnicodeDecodeError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        if result.ignored_columns:
            self.stdout.write(f"Ignored column(s): {', '.join(result.ignored_columns)}")
        for error in result.errors:
            self.stderr.write(f"{file}:{error.line}: {error.message}")
        if result.errors and not skip_invalid:
            raise CommandError(
                f"{len(result.errors)} invalid row(s) of {result.rows_read}; nothing written "
                "(fix them, or use --skip-invalid to import the valid rows)"
            )
        outcome = candles_import(
            instrument=instrument,
            interval=interval,
            rows=result.rows,
            source=MarketDataSource.IMPORT,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{instrument.symbol} {interval}: {result.rows_read} row(s) read, "
                f"{len(result.errors)} skipped as invalid; created {outcome.created}, "
                f"updated {outcome.updated}, unchanged {outcome.unchanged}"
            )
        )
