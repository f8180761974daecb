"""Decimal helpers: one text form, one quantize, exact products, strict parsing."""

import decimal
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

# Every money, price and quantity column: 28 digits, 10 of them after the point.
DECIMAL_MAX_DIGITS = 28
DECIMAL_PLACES = 10
QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
ZERO = Decimal(0)
# Twice the column's digits: the product of two column values is exact before it is quantized,
# so rounding happens once, where the code says, never silently at the 28th digit.
ARITHMETIC_PRECISION = 2 * DECIMAL_MAX_DIGITS + 4

_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def decimal_context_install() -> None:
    """Give this thread, and every thread started from now on, the exact arithmetic context."""
    decimal.DefaultContext.prec = ARITHMETIC_PRECISION
    decimal.DefaultContext.traps[decimal.FloatOperation] = True
    decimal.setcontext(decimal.Context(prec=ARITHMETIC_PRECISION, traps=_traps()))


def _traps() -> list[type[decimal.DecimalException]]:
    return [
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.FloatOperation,
    ]


def quantize(
    value: Decimal, *, places: int = DECIMAL_PLACES, rounding: str = ROUND_HALF_EVEN
) -> Decimal:
    """Return `value` rounded (half-even by default) to `places` decimal places."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def _on_step(units: Decimal, step: Decimal) -> Decimal:
    value = (units * step).quantize(step)
    # A step such as 1E+3 would print sizes as 5.2E+4; whole numbers keep exponent 0.
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def step_floor(value: Decimal, step: Decimal) -> Decimal:
    """Return the highest multiple of `step` (a tick or a lot) at or below `value`."""
    return _on_step((value / step).to_integral_value(rounding=ROUND_FLOOR), step)


def step_ceil(value: Decimal, step: Decimal) -> Decimal:
    """Return the lowest multiple of `step` (a tick or a lot) at or above `value`."""
    return _on_step((value / step).to_integral_value(rounding=ROUND_CEILING), step)


# Minor units of cash: fees and cash amounts a person reads are rounded to these.
CURRENCY_PLACES = {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "JPY": 0}
# Currencies not listed (crypto quote currencies) keep eight places.
DEFAULT_CURRENCY_PLACES = 8


def currency_places(currency: str) -> int:
    """Return how many decimal places an amount of `currency` has."""
    return CURRENCY_PLACES.get(currency.upper(), DEFAULT_CURRENCY_PLACES)


def money_round(value: Decimal, *, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Return `value` rounded (half-up by default) to the minor unit of `currency`."""
    return quantize(value, places=currency_places(currency), rounding=rounding)


def decimal_text(value: Decimal | int) -> str:
    """Return the one text form of a decimal: plain digits, no exponent, no trailing zeros,
    never "-0" ("19200.6055050000" -> "19200.605505", "1E+2" -> "100", "-0.00" -> "0")."""
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    if value.is_zero():
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def decimal_normal(value: Decimal) -> Decimal:
    """Return `value` with the form `decimal_text` writes (same number, no trailing zeros)."""
    return Decimal(decimal_text(value))


def decimals_as_text(value: Any) -> Any:
    """Return `value` with every Decimal inside dicts, lists and tuples as `decimal_text`."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dict):
        return {name: decimals_as_text(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [decimals_as_text(item) for item in value]
    return value


def decimal_parse(text: str) -> Decimal:
    """Return the Decimal of an ASCII `-?digits[.digits]` string.

    Raises ValueError for anything else: exponents, full-width digits, underscores, NaN.
    """
    if not isinstance(text, str) or not _PLAIN.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain decimal number")
    return Decimal(text)


def decimal_display(value: object) -> str:
    """A value as a person reads it: a finite Decimal in its text form, anything else as str."""
    return decimal_text(value) if isinstance(value, Decimal) and value.is_finite() else str(value)
