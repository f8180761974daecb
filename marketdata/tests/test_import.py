"""manage.py import_candles: header shapes, every validation rule, all-or-nothing, idempotence."""

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marketdata.models import Candle
from marketdata.tests.factories import CandleFactory, InstrumentFactory

D = Decimal

GOOD = """Date,Open,High,Low,Close,Volume
2024-01-02,187.15,188.44,183.89,185.64,82488700
2024-01-03,184.22,185.88,183.43,184.25,58414500
2024-01-04,182.15,183.09,180.88,181.91,71983600
"""


@pytest.fixture
def instrument(db):
    return InstrumentFactory(symbol="AAPL")


def write(tmp_path, text: str, name: str = "bars.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_candles", str(path), "--symbol", "AAPL", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stored(instrument):
    return list(
        Candle.objects.filter(instrument=instrument, interval="1d")
        .order_by("ts")
        .values_list("ts", "open", "high", "low", "close", "volume", "source")
    )


def test_import_stores_daily_bars(instrument, tmp_path):
    out, err = run(write(tmp_path, GOOD), "--interval", "1d")

    assert stored(instrument) == [
        (
            datetime(2024, 1, 2, tzinfo=UTC),
            D("187.15"),
            D("188.44"),
            D("183.89"),
            D("185.64"),
            D("82488700"),
            "import",
        ),
        (
            datetime(2024, 1, 3, tzinfo=UTC),
            D("184.22"),
            D("185.88"),
            D("183.43"),
            D("184.25"),
            D("58414500"),
            "import",
        ),
        (
            datetime(2024, 1, 4, tzinfo=UTC),
            D("182.15"),
            D("183.09"),
            D("180.88"),
            D("181.91"),
            D("71983600"),
            "import",
        ),
    ]
    assert "AAPL 1d: 3 row(s) read, 0 skipped as invalid; created 3, updated 0, unchanged 0" in out
    assert err == ""


def test_reimporting_the_same_file_changes_nothing(instrument, tmp_path):
    path = write(tmp_path, GOOD)
    run(path)
    before = list(Candle.objects.order_by("id").values())

    out, _ = run(path)

    assert "created 0, updated 0, unchanged 3" in out
    assert list(Candle.objects.order_by("id").values()) == before


def test_a_corrected_file_updates_only_the_changed_bars(instrument, tmp_path):
    run(write(tmp_path, GOOD))

    out, _ = run(write(tmp_path, GOOD.replace("184.25,58414500", "184.26,58414500"), "fixed.csv"))

    assert "created 0, updated 1, unchanged 2" in out
    assert stored(instrument)[1][4] == D("184.26")


def test_columns_in_any_order_and_header_case_with_aliases(instrument, tmp_path):
    text = """VOLUME,close,Adj Close,LOW,timestamp,High,open
82488700,185.64,184.9,183.89,2024-01-02T00:00:00Z,188.44,187.15
"""
    out, _ = run(write(tmp_path, text))

    assert stored(instrument) == [
        (
            datetime(2024, 1, 2, tzinfo=UTC),
            D("187.15"),
            D("188.44"),
            D("183.89"),
            D("185.64"),
            D("82488700"),
            "import",
        )
    ]
    assert "Ignored column(s): Adj Close" in out


def test_unix_time_in_seconds_and_milliseconds(instrument, tmp_path):
    text = "time,o,h,l,c,v\n1704153600,1,2,1,2,0\n1704240000000,2,3,2,3,5\n"

    run(write(tmp_path, text))

    assert [row[0] for row in stored(instrument)] == [
        datetime(2024, 1, 2, tzinfo=UTC),
        datetime(2024, 1, 3, tzinfo=UTC),
    ]


BAD_ROWS = [
    ("2024-01-05,10,9,8,9.5,100", "high 9 is below max(open, close)"),
    ("2024-01-05,10,12,10.5,11,100", "low 10.5 is above min(open, close)"),
    ("2024-01-05,10,12,9,11,-1", "volume -1 is negative"),
    ("2024-01-05,ten,12,9,11,100", "open 'ten' is not a number"),
    ("2024-01-05,10,12,9,11,NaN", "volume 'NaN' is not a number"),
    ("2024-01-05,0,12,0,11,100", "open 0 is not positive"),
    ("2024-13-45,10,12,9,11,100", "timestamp '2024-13-45' is not a date, datetime or Unix time"),
    ("2024-01-05T12:00:00,10,12,9,11,100", "is not the start of a 1d bar"),
    ("2024-01-05,10.12345678901,12,9,11,100", "has more than 10 decimal places"),
    ("2024-01-05,10,12,9,11", "expected 6 columns, found 5"),
    (
        "2024-01-03,10,12,9,11,100",
        "timestamp 2024-01-03T00:00:00+00:00 is not after the previous row's (line 4)",
    ),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_each_rule_rejects_the_file_and_names_the_line(instrument, tmp_path, row, message):
    # given three good rows and a bad one on line 5
    path = write(tmp_path, GOOD + row + "\n")

    with pytest.raises(CommandError, match=r"1 invalid row\(s\) of 4; nothing written"):
        run(path)

    # then nothing was written at all
    assert Candle.objects.count() == 0


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_each_rule_message_with_line_number(instrument, tmp_path, row, message):
    path = write(tmp_path, GOOD + row + "\n")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_candles", str(path), "--symbol", "AAPL", stdout=StringIO(), stderr=err)

    assert f"{path}:5: " in err.getvalue()
    assert message in err.getvalue()


def test_timestamps_must_increase_strictly(instrument, tmp_path):
    text = GOOD + "2024-01-04,182.15,183.09,180.88,181.91,71983600\n"
    err = StringIO()

    with pytest.raises(CommandError):
        call_command(
            "import_candles",
            str(write(tmp_path, text)),
            "--symbol",
            "AAPL",
            stdout=StringIO(),
            stderr=err,
        )

    assert (
        "bars.csv:5: timestamp 2024-01-04T00:00:00+00:00 is not after the previous row's (line 4)"
        in err.getvalue()
    )


def test_several_bad_rows_are_all_reported(instrument, tmp_path):
    text = GOOD.replace("183.43", "190") + "2024-01-05,1,2,3,4,5\n"
    err = StringIO()

    with pytest.raises(CommandError, match=r"2 invalid row\(s\) of 4"):
        call_command(
            "import_candles",
            str(write(tmp_path, text)),
            "--symbol",
            "AAPL",
            stdout=StringIO(),
            stderr=err,
        )

    lines = err.getvalue().splitlines()
    assert [line.split(": ")[0].rsplit(":", 1)[1] for line in lines] == ["3", "5"]


def test_skip_invalid_imports_the_valid_rows(instrument, tmp_path):
    text = GOOD.replace("183.43", "190") + "2024-01-05,181.99,182.76,180.17,181.18,62303300\n"

    out, err = run(write(tmp_path, text), "--skip-invalid")

    assert [row[0].day for row in stored(instrument)] == [2, 4, 5]
    assert "created 3, updated 0, unchanged 0" in out
    assert "4 row(s) read, 1 skipped as invalid" in out
    assert "bars.csv:3: low 190 is above min(open, close)" in err


def test_nothing_written_keeps_existing_rows_untouched(instrument, tmp_path):
    existing = CandleFactory(
        instrument=instrument, interval="1d", ts=datetime(2024, 1, 2, tzinfo=UTC)
    )
    before = list(Candle.objects.values())

    with pytest.raises(CommandError):
        run(write(tmp_path, GOOD + "2024-01-05,1,0.5,1,1,1\n"))

    assert list(Candle.objects.values()) == before
    assert Candle.objects.get().pk == existing.pk


def test_missing_column_is_a_command_error(instrument, tmp_path):
    with pytest.raises(CommandError, match="Missing column"):
        run(write(tmp_path, "Date,Open,High,Low,Close\n2024-01-02,1,1,1,1\n"))


def test_unknown_symbol_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="Symbol NOPE not found"):
        call_command(
            "import_candles", str(write(tmp_path, GOOD)), "--symbol", "NOPE", stdout=StringIO()
        )


def test_large_file_shows_a_progress_bar(instrument, tmp_path):
    lines = ["date,open,high,low,close,volume"]
    lines += [f"{999_993_600 + 86_400 * i},10,11,9,10,1" for i in range(12_000)]

    out, _ = run(write(tmp_path, "\n".join(lines) + "\n"))

    bars = [line for line in out.splitlines() if line.startswith("[")]
    assert bars[0] == "[#.............................]   5% 600/12,000 rows"
    assert bars[-1] == "[##############################] 100% 12,000/12,000 rows"
    assert len(bars) == 20
    assert Candle.objects.filter(instrument=instrument).count() == 12_000
