"""JSON in and out without a float detour: Decimals travel as strings, times as ISO 8601 UTC."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def format_datetime(value: datetime) -> str:
    """Return `value` as ISO 8601 in UTC with a `Z` (a naive datetime is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_datetime(value: str) -> datetime:
    """Return an aware datetime from the server's ISO 8601 text (UTC when it names no zone)."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def to_jsonable(value: Any) -> Any:
    """Return `value` with Decimals, datetimes and enums turned into the strings the API takes."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite decimal: {value}")
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError("floats are not accepted: pass a Decimal or a string")
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(item) for item in value]
    return value


def dumps(value: Any) -> bytes:
    """Serialize a request body: compact JSON, Decimals as strings, floats refused."""
    return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False).encode()


def loads(raw: bytes | str) -> Any:
    """Parse a response body: fractional numbers become Decimal, never float."""
    return json.loads(raw, parse_float=Decimal)


def query_value(value: Any) -> str:
    """Render one query parameter value (booleans lowercase, lists comma-separated)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats are not accepted: pass a Decimal or a string")
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ",".join(query_value(item) for item in value)
    return str(value)
