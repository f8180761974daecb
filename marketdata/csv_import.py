"""Reading OHLCV CSV files: header aliases in any order and case, every row validated."""

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from marketdata.enums import INTERVAL_SECONDS
from marketdata.services import CandleRow

# Accepted header names (compared lower-case, spaces/underscores/dashes removed) per field.
COLUMN_ALIASES = {
    "ts": ("timestamp", "datetime", "date", "time", "day", "opentime"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c", "close/last"),
    "volume": ("volume", "vol", "v"),
}
# Recognised but not imported: candles store the traded close, not a dividend-adjusted one.
IGNORED_COLUMNS = ("adjclose",)
_MAX_INTEGER_DIGITS = 18
_MAX_DECIMAL_PLACES = 10
# Epoch numbers above this are milliseconds (1e11 seconds is the year 5138).
_EPOCH_MS_THRESHOLD = 100_000_000_000


class CsvFormatError(ValueError):
    """The file cannot be read as candles at all (no header, a required column missing)."""


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ParseResult:
    rows: list[CandleRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.errors)


def _normalize(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lstrip("\ufeff").lower())


def _columns(header: list[str]) -> tuple[dict[str, int | tuple[int, int]], list[str]]:
    names = [_normalize(name) for name in header]
    positions: dict[str, int | tuple[int, int]] = {}
    for key, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in names:
                positions[key] = names.index(alias)
                break
    # A separate date and time column (e.g. Date,Time,Open,...) together make the timestamp.
    if "date" in names and "time" in names:
        positions["ts"] = (names.index("date"), names.index("time"))
    missing = [key for key in COLUMN_ALIASES if key not in positions]
    if missing:
        wanted = ", ".join("date" if key == "ts" else key for key in missing)
        raise CsvFormatError(f"Missing column(s): {wanted} (header: {', '.join(header)})")
    used = {
        p for value in positions.values() for p in (value if isinstance(value, tuple) else (value,))
    }
    ignored = [header[i].strip() for i in range(len(header)) if i not in used]
    return positions, ignored


def parse_timestamp(raw: str) -> datetime:
    """Return the UTC datetime of an ISO 8601 date/datetime or a Unix time in s or ms."""
    text = raw.strip()
    if re.fullmatch(r"\d+", text):
        number = int(text)
        if number >= _EPOCH_MS_THRESHOLD:
            seconds, millis = divmod(number, 1000)
            return datetime.fromtimestamp(seconds, tz=UTC) + timedelta(milliseconds=millis)
        return datetime.fromtimestamp(number, tz=UTC)
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_decimal(raw: str) -> Decimal:
    """Return the exact Decimal of a plain number (an optional leading '$' is allowed)."""
    text = raw.strip().removeprefix("$")
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation(text)
    return value


def _check_precision(name: str, value: Decimal) -> str | None:
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return f"{name} {value} is not a finite number"
    if -exponent > _MAX_DECIMAL_PLACES:
        return f"{name} {value} has more than {_MAX_DECIMAL_PLACES} decimal places"
    if len(digits) + exponent > _MAX_INTEGER_DIGITS:
        return f"{name} {value} is too large"
    return None


def _row_timestamp(row: list[str], position: Any, problems: list[str]) -> datetime | None:
    raw_ts = (
        f"{row[position[0]].strip()} {row[position[1]].strip()}"
        if isinstance(position, tuple)
        else row[position]
    )
    try:
        return parse_timestamp(raw_ts)
    except (ValueError, OverflowError, OSError):
        problems.append(f"timestamp {raw_ts.strip()!r} is not a date, datetime or Unix time")
        return None


def _row_values(
    row: list[str], positions: dict[str, Any], problems: list[str]
) -> dict[str, Decimal]:
    values: dict[str, Decimal] = {}
    for name in ("open", "high", "low", "close", "volume"):
        raw = row[positions[name]]
        try:
            values[name] = parse_decimal(raw)
        except InvalidOperation:
            problems.append(f"{name} {raw.strip()!r} is not a number")
            continue
        precision_problem = _check_precision(name, values[name])
        if precision_problem:
            problems.append(precision_problem)
    return values


def _timestamp_problems(
    ts: datetime, *, width: int, interval: str, previous: tuple[datetime, int] | None
) -> list[str]:
    problems = []
    if int(ts.timestamp()) % width or ts.microsecond:
        problems.append(f"timestamp {ts.isoformat()} is not the start of a {interval} bar")
    if previous is not None and ts <= previous[0]:
        problems.append(
            f"timestamp {ts.isoformat()} is not after the previous row's "
            f"(line {previous[1]}): timestamps must increase strictly"
        )
    return problems


def _price_problems(values: dict[str, Decimal]) -> list[str]:
    problems = [
        f"{name} {values[name]} is not positive"
        for name in ("open", "high", "low", "close")
        if values[name] <= 0
    ]
    if values["high"] < max(values["open"], values["close"]):
        problems.append(f"high {values['high']} is below max(open, close)")
    if values["low"] > min(values["open"], values["close"]):
        problems.append(f"low {values['low']} is above min(open, close)")
    if values["volume"] < 0:
        problems.append(f"volume {values['volume']} is negative")
    return problems


def candles_csv_parse(
    *,
    lines: Iterable[str],
    interval: str,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
) -> ParseResult:
    """Read and validate every row; return the valid rows and an error per invalid line.

    Rules: parseable timestamp on the interval's UTC grid, strictly increasing; numbers exact
    Decimals; open, high, low, close > 0; high >= max(open, close); low <= min(open, close);
    volume >= 0. Raises CsvFormatError when the header lacks a required column.
    """
    reader = csv.reader(lines)
    header = next((row for row in reader if row), None)
    if header is None:
        raise CsvFormatError("The file is empty")
    positions, ignored = _columns(header)
    result = ParseResult(ignored_columns=ignored)
    width = INTERVAL_SECONDS[interval]
    previous: tuple[datetime, int] | None = None
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(row) != len(header):
            result.errors.append(
                RowError(line, f"expected {len(header)} columns, found {len(row)}")
            )
            continue
        problems: list[str] = []
        ts = _row_timestamp(row, positions["ts"], problems)
        values = _row_values(row, positions, problems)
        if ts is not None:
            problems += _timestamp_problems(ts, width=width, interval=interval, previous=previous)
        if len(values) == 5:
            problems += _price_problems(values)
        if problems or ts is None:
            result.errors.append(RowError(line, "; ".join(problems)))
        else:
            result.rows.append(CandleRow(ts=ts, **values))
            previous = (ts, line)
        if on_progress is not None and result.rows_read % progress_every == 0:
            on_progress(result.rows_read)
    if on_progress is not None:
        on_progress(result.rows_read)
    return result
