"""Object ids as a client sends them: positive ASCII integers that fit a 64-bit column."""

from typing import Any

# The largest id SQLite and PostgreSQL store (signed 64-bit); a larger one overflows the driver.
ID_MAX = 2**63 - 1


def id_parse(value: Any) -> int:
    """Return `value` (an int or its ASCII digits) as an id; ValueError unless 1 to ID_MAX."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an id")
    if isinstance(value, int):
        number = value
    else:
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) <= len(str(ID_MAX))):
            raise ValueError(f"{value!r} is not an id")
        number = int(text)
    if not 1 <= number <= ID_MAX:
        raise ValueError(f"{value!r} is not an id")
    return number
