"""Plain-text tables and JSON for the command line (no dependency beyond the standard library)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from trading_client._json import to_jsonable


def cell(value: Any) -> str:
    """Render one value: Decimals exactly, times as UTC, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A table with a header line; numbers right-aligned, text left-aligned."""
    texts = [[cell(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in texts:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], len(text))
    right = [any(_numeric(row[i]) for row in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(widths[i]) if right[i] else value.ljust(widths[i])
            for i, value in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * width for width in widths])]
    out.extend(line(row) for row in texts)
    if not rows:
        out.append("(none)")
    return "\n".join(out)


def pairs(items: Sequence[tuple[str, Any]]) -> str:
    """`name  value` lines, names aligned."""
    width = max((len(name) for name, _ in items), default=0)
    return "\n".join(f"{name.ljust(width)}  {cell(value)}".rstrip() for name, value in items)


def to_json(data: Any) -> str:
    """Pretty JSON with the API's conventions (Decimals as strings, times ISO 8601 Z)."""
    return json.dumps(to_jsonable(data), indent=2, ensure_ascii=False)
