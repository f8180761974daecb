"""JSON renderer on orjson: Decimals as exact strings, datetimes in UTC with Z."""

import datetime
import decimal
import json
import uuid
from typing import Any

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


def jsonable(value: Any) -> Any:
    """Return `value` as JSON types: Decimals as their one text form, datetimes in UTC with Z.

    What the REST renderer writes, for payloads that travel other ways (the channel layer).
    """
    if isinstance(value, decimal.Decimal):
        return decimal_text(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {name: jsonable(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def _default_exact(value):
    if isinstance(value, (datetime.date, datetime.time, uuid.UUID)):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return _default(value)


def json_dumps(data, *, indent: bool = False) -> bytes:
    """Serialize with the API's rules; the one encoder for REST, WebSocket and stored responses.

    `indent` pretty-prints (two spaces) for people: the browsable API, `Accept: ...; indent=2`.
    """
    options = _OPTIONS | orjson.OPT_INDENT_2 if indent else _OPTIONS
    try:
        return orjson.dumps(data, default=_default, option=options)
    except TypeError as error:
        if "64-bit" not in str(error):
            raise
    # orjson refuses integers past 64 bits, which a client may send and the audit trail keeps:
    # the standard library writes any integer exactly (the rest as orjson would).
    text = json.dumps(
        jsonable(data),
        default=_default_exact,
        separators=(",", ":") if not indent else None,
        indent=2 if indent else None,
        ensure_ascii=False,
    )
    return text.encode()


class JSONRenderer(renderers.BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        """Return the UTF-8 JSON bytes of `data` (empty for None)."""
        if data is None:
            return b""
        # The browsable API asks for an indent; so may a client (`application/json; indent=2`).
        indent = (renderer_context or {}).get("indent") or _media_indent(accepted_media_type)
        return json_dumps(data, indent=bool(indent))


def _media_indent(accepted_media_type: str | None) -> int:
    for parameter in (accepted_media_type or "").split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name == "indent" and value.isdigit():
            return int(value)
    return 0
