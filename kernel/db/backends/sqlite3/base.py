"""SQLite with exact decimals: Decimal columns stored as text, compared and summed in Decimal.

Django's SQLite backend declares decimals as NUMERIC, which SQLite keeps as 8-byte floats: a
stored 115270.3339701130 reads back as 115270.333970113, and a check such as
`total = available + locked` then fails on rounding noise. Here a DecimalField is a TEXT column
with the `decimal` collation, so every comparison, ORDER BY, MIN, MAX, uniqueness and CHECK
constraint compares numbers, not strings; the exact functions below do the arithmetic that
`kernel.db.expressions` asks for. The functions and the collation live in the connection:
tools other than this backend (the sqlite3 shell) can read these tables, but cannot write to
columns whose constraints use them.
"""

import decimal
from decimal import ROUND_HALF_UP, Decimal

from django.db import DataError
from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.operations import DatabaseOperations as SQLiteOperations
from django.db.models.expressions import Col

from kernel.decimals import decimal_text


class InexactDecimal(TypeError):
    """A float arrived where an exact Decimal was expected: a query bypassed the exact SQL."""


def _decimal(value):
    if value is None:
        return None
    if isinstance(value, float):
        raise InexactDecimal(
            f"SQLite returned the float {value!r} for a Decimal: use kernel.db.expressions"
        )
    if isinstance(value, bytes):
        value = value.decode("ascii")
    return Decimal(value)


def _text(value):
    return None if value is None else decimal_text(value)


def _collate(left: str, right: str) -> int:
    try:
        a, b = Decimal(left), Decimal(right)
    except decimal.InvalidOperation:
        return (left > right) - (left < right)
    return (a > b) - (a < b)


def _binary(operation):
    def function(left, right):
        a, b = _decimal(left), _decimal(right)
        if a is None or b is None:
            return None
        return decimal_text(operation(a, b))

    return function


def _abs(value):
    number = _decimal(value)
    return None if number is None else decimal_text(abs(number))


class _Sum:
    def __init__(self):
        self.total = None

    def step(self, value):
        number = _decimal(value)
        if number is not None:
            self.total = number if self.total is None else self.total + number

    def finalize(self):
        return _text(self.total)


class _Extreme:
    pick = max

    def __init__(self):
        self.best = None

    def step(self, value):
        number = _decimal(value)
        if number is not None:
            self.best = number if self.best is None else type(self).pick(self.best, number)

    def finalize(self):
        return _text(self.best)


class _Max(_Extreme):
    pick = max


class _Min(_Extreme):
    pick = min


def exact_decimals_register(connection) -> None:
    """Register the `decimal` collation and the exact DECIMAL_* functions on a connection."""
    connection.create_collation("decimal", _collate)
    for name, function in (
        ("DECIMAL_ADD", _binary(lambda a, b: a + b)),
        ("DECIMAL_SUB", _binary(lambda a, b: a - b)),
        ("DECIMAL_MUL", _binary(lambda a, b: a * b)),
    ):
        connection.create_function(name, 2, function, deterministic=True)
    connection.create_function("DECIMAL_ABS", 1, _abs, deterministic=True)
    connection.create_aggregate("DECIMAL_SUM", 1, _Sum)
    connection.create_aggregate("DECIMAL_MAX", 1, _Max)
    connection.create_aggregate("DECIMAL_MIN", 1, _Min)


class DatabaseOperations(SQLiteOperations):
    def adapt_decimalfield_value(self, value, max_digits=None, decimal_places=None):
        """Return the stored text of a Decimal, rounded to the column's places as PostgreSQL
        rounds numeric(p, s) on write; raises DataError when it has too many digits."""
        if value is None or hasattr(value, "as_sql"):
            return value
        if decimal_places is not None:
            value = value.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP)
        if max_digits is not None and decimal_places is not None:
            whole = len(value.as_tuple().digits) + value.as_tuple().exponent
            if whole > max_digits - decimal_places:
                raise DataError(
                    f"numeric field overflow: {value} has more than "
                    f"{max_digits - decimal_places} whole digits"
                )
        return decimal_text(value)

    def get_decimalfield_converter(self, expression):
        """Return a converter from the stored text to Decimal: exact, never through a float."""
        quantum = None
        if isinstance(expression, Col):
            places = getattr(expression.output_field, "decimal_places", None)
            quantum = None if places is None else Decimal(1).scaleb(-places)

        def converter(value, expression, connection):
            number = _decimal(value)
            if number is None or quantum is None:
                return number
            return number.quantize(quantum)

        return converter


class DatabaseWrapper(base.DatabaseWrapper):
    data_types = {**base.DatabaseWrapper.data_types, "DecimalField": "text COLLATE decimal"}
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        exact_decimals_register(connection)
        return connection
