"""Decimal-exact JSON: numbers in requests become Decimal, Decimals go out as strings."""

import decimal
from datetime import UTC, datetime

import pytest

from kernel.api.parsers import json_loads
from kernel.api.renderers import json_dumps

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def test_parser_reads_fractions_as_decimal_never_float():
    data = json_loads(b'{"price": 0.1, "qty": 3, "big": 12345678901234567890.123456789}')
    assert data == {
        "price": decimal.Decimal("0.1"),
        "qty": 3,
        "big": decimal.Decimal("12345678901234567890.123456789"),
    }
    assert type(data["price"]) is decimal.Decimal


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_parser_refuses_non_finite_numbers(literal):
    with pytest.raises(ValueError, match="not a valid JSON number"):
        json_loads(b'{"price": ' + literal + b"}")


def test_renderer_writes_decimals_as_exact_strings_and_utc_z():
    moment = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    rendered = json_dumps(
        {"p": decimal.Decimal("101.2500"), "t": moment, "tiny": decimal.Decimal("1E-10")}
    )
    assert rendered == b'{"p":"101.25","t":"2026-01-02T03:04:05.600000Z","tiny":"0.0000000001"}'


def test_api_round_trip_keeps_every_digit(client):
    response = client.post(
        "/api/v1/test/echo",
        data=b'{"price": 0.1, "quantity": "2.000000001"}',
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "validated": {"price": "0.1", "quantity": "2.000000001"},
        "raw_types": {"price": "Decimal", "quantity": "str"},
    }
