"""The strategy interface: indicators over closed bars, then one decision per closed bar.

A strategy does not know whether it is backtested or trading live. It sees closed bars only,
as float arrays, and says after each bar's close what position it wants: long, flat or short
(all-in). The backtest engine and the live runner (`StrategyRunner`) turn a change of target
into a market order that executes at the next bar's open.

    class MyStrategy(Strategy):
        name = "my_strategy"
        title = "My strategy"
        description = "What it does, in a sentence or two."
        parameters_schema = {"type": "object", "properties": {...}, "additionalProperties": False}

        @property
        def window(self) -> int:            # closed bars `decide` needs (warm-up included)
            ...

        def indicators(self, bars):         # {"name": array aligned with the bars}
            ...                             # element i may use bars[i - window + 1 .. i] only

        def decide(self, i, values, position):
            ...                             # LONG, FLAT, SHORT, or None (keep the position)

        def candidates(self, arrays):       # optional: bars where `decide` may act (speed-up)
            ...

`values` holds the indicator arrays (and the bars' "open", "high", "low", "close", "volume")
as lists of floats; `i` is the current (last closed) bar; `position` is the strategy's own
current target (not the broker's fill), so its decisions never depend on execution.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np

LONG = 1
FLAT = 0
SHORT = -1

BAR_FIELDS = ("open", "high", "low", "close", "volume")


class ParameterError(ValueError):
    """A strategy parameter is invalid; `fields` maps each bad parameter to its messages."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()))
        self.fields = fields


def _check(name: str, spec: Mapping[str, Any], value: Any) -> tuple[Any, str | None]:
    kind = spec.get("type")
    if kind == "boolean":
        if not isinstance(value, bool):
            return value, "Must be true or false."
        return value, None
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            return value, "Must be an integer."
        try:
            number = float(value)
        except ValueError:
            return value, "Must be an integer."
        if not np.isfinite(number) or not number.is_integer():
            return value, "Must be an integer."
        value = int(number)
    elif kind == "number":
        if isinstance(value, bool):
            return value, "Must be a number."
        try:
            value = float(str(value))
        except ValueError:
            return value, "Must be a number."
        if not np.isfinite(value):
            return value, "Must be a finite number."
    elif kind == "string" and not isinstance(value, str):
        return value, "Must be a string."
    if "enum" in spec and value not in spec["enum"]:
        return value, f"Must be one of {', '.join(map(str, spec['enum']))}."
    if "minimum" in spec and value < spec["minimum"]:
        return value, f"Must be at least {spec['minimum']}."
    if "maximum" in spec and value > spec["maximum"]:
        return value, f"Must be at most {spec['maximum']}."
    if "exclusiveMinimum" in spec and value <= spec["exclusiveMinimum"]:
        return value, f"Must be greater than {spec['exclusiveMinimum']}."
    return value, None


class Strategy:
    """Base of every strategy; see the module docstring for the interface."""

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    parameters_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }

    def __init__(self, **parameters: Any):
        self.parameters = self.parameters_validate(parameters)

    @classmethod
    def parameters_validate(cls, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """Return the parameters with defaults filled in and types coerced.

        Raises ParameterError naming every unknown, ill-typed or out-of-bounds parameter.
        """
        if not isinstance(parameters, Mapping):
            raise ParameterError({"parameters": ["Must be an object."]})
        properties = cls.parameters_schema.get("properties", {})
        errors: dict[str, list[str]] = {}
        for name in parameters:
            if name not in properties:
                known = ", ".join(properties) or "none"
                errors[name] = [f"Unknown parameter (known: {known})."]
        clean: dict[str, Any] = {}
        for name, spec in properties.items():
            value = parameters.get(name, spec.get("default"))
            if value is None:
                errors[name] = ["This parameter is required."]
                continue
            value, problem = _check(name, spec, value)
            if problem:
                errors[name] = [problem]
            clean[name] = value
        if not errors:
            errors = cls.parameters_check(clean)
        if errors:
            raise ParameterError(errors)
        return clean

    @classmethod
    def parameters_check(cls, parameters: dict[str, Any]) -> dict[str, list[str]]:
        """Return errors of rules that tie parameters together (override); none by default."""
        return {}

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Return name, title, description and the JSON schema of the parameters."""
        return {
            "name": cls.name,
            "title": cls.title,
            "description": cls.description,
            "parameters_schema": cls.parameters_schema,
            "defaults": {
                name: spec.get("default")
                for name, spec in cls.parameters_schema.get("properties", {}).items()
            },
        }

    @property
    def window(self) -> int:
        """Return how many closed bars `decide` needs (the warm-up included)."""
        raise NotImplementedError

    def indicators(self, bars: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Return indicator arrays aligned with `bars` (float arrays of BAR_FIELDS)."""
        return {}

    def decide(self, i: int, values: Mapping[str, Sequence[float]], position: int) -> int | None:
        """Return the target after bar `i` closed: LONG, FLAT, SHORT, or None to keep it."""
        raise NotImplementedError

    def candidates(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """Optionally, a boolean array over the bars: False where `decide` returns None
        whatever the position. The engine then skips those bars (a backtest speed-up; live
        trading calls `decide` on every bar, and a test checks both agree). None: every bar."""
        return None
