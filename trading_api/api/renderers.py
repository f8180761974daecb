"""JSON renderer on orjson: Decimals as exact strings, datetimes in UTC with Z."""

import decimal

import orjson
from django.utils.functional import Promise
from rest_framework import renderers

from kernel.decimals import decimal_text

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def _default(value):
    if isinstance(value, decimal.Decimal):
        # Never a JSON number: a client parsing it as a double would lose digits.
        return decimal_text(value)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_dumps(data) -> bytes:
    """Serialize with the API's rules; the one encoder for REST, WebSocket and stored responses."""
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class JSONRenderer(renderers.BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        """Return the UTF-8 JSON bytes of `data` (empty for None)."""
        if data is None:
            return b""
        return json_dumps(data)
