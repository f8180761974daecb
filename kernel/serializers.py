"""The project's DRF Decimal fields: exact in, one plain text form out."""

import threading
from decimal import Decimal, InvalidOperation
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kernel.decimals import DECIMAL_MAX_DIGITS, DECIMAL_PLACES, decimal_parse, decimal_text

_DECIMAL_SCHEMA = {"type": "string", "format": "decimal", "example": "101.25"}


@extend_schema_field(_DECIMAL_SCHEMA)
class DecimalField(serializers.DecimalField):
    """A money, price or quantity field: 28 digits, 10 places.

    Takes a JSON number (the parser reads it as Decimal) or an ASCII `-?digits[.digits]`
    string, nothing else (no exponent, no full-width digits, no underscores); writes
    `decimal_text` ("101.25", never "101.2500" or "1E+2").
    """

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_digits", DECIMAL_MAX_DIGITS)
        kwargs.setdefault("decimal_places", DECIMAL_PLACES)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, (str, int, Decimal)):
            self.fail("invalid")
        if isinstance(data, str):
            try:
                data = decimal_parse(data)
            except ValueError:
                self.fail("invalid")
        return super().to_internal_value(data)

    def to_representation(self, value: Any) -> str:
        # DRF writes null itself: this never sees None.
        try:
            return decimal_text(Decimal(value))
        except (InvalidOperation, ValueError):
            return super().to_representation(value)


@extend_schema_field({**_DECIMAL_SCHEMA, "nullable": True})
class DecimalOutputField(serializers.Field):
    """A read-only Decimal in the one text form; null stays null."""

    def __init__(self, **kwargs: Any):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:
        return None if value is None else decimal_text(Decimal(value))

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        return None if value is None else Decimal(value)


class Representer:
    """Represents instances through one serializer of `serializer_class`, built on first use.

    A read-only representation needs the serializer's fields, which are the same for every
    instance; building them per instance cost more than representing (about 90 field objects per
    order). The output is the serializer's own `to_representation`, so it cannot drift from it.
    """

    def __init__(self, serializer_class: type[serializers.Serializer]):
        self._serializer_class = serializer_class
        self._serializer: serializers.Serializer | None = None
        self._lock = threading.Lock()

    def __call__(self, instance: Any) -> dict[str, Any]:
        """Return `instance` as `serializer_class(instance).data` would, as a plain dict."""
        serializer = self._serializer
        if serializer is None:
            with self._lock:
                if self._serializer is None:
                    built = self._serializer_class()
                    _ = built.fields  # bound once, before another thread can use them
                    self._serializer = built
                serializer = self._serializer
        return dict(serializer.to_representation(instance))
