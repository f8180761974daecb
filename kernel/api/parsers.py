"""JSON parser that reads every non-integer number as Decimal, never float."""

import decimal
import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a valid JSON number")


def json_loads(raw: bytes | str):
    """Parse JSON with numbers as int or Decimal; NaN and Infinity are refused.

    The standard library's parser is used because orjson has no hook to read numbers as Decimal,
    and a float detour would silently change prices such as 0.1.
    """
    return json.loads(raw, parse_float=decimal.Decimal, parse_constant=_reject_constant)


class JSONParser(parsers.BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        """Return the parsed body; malformed JSON is a ParseError (400 MALFORMED_REQUEST)."""
        try:
            return json_loads(stream.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
