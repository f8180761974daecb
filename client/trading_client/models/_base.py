"""Typed results: frozen dataclasses built from the server's JSON.

Decimals (money, prices, quantities, percentages) become `Decimal`, timestamps aware
`datetime`s, nested objects their own models. Fields the server adds later land in `extra`, so
an older client keeps working against a newer server. A field whose JSON name is a Python
keyword (`from`) is renamed (`start`) through `field(metadata={"json": "from"})`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Self, TypeVar, Union

from trading_client._json import parse_datetime, to_jsonable
from trading_client.errors import ResponseFormatError

M = TypeVar("M", bound="Model")
_Convert = Callable[[Any], Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Model:
    """Base of every result model."""

    #: Fields the server sent that this model does not declare, as raw JSON values.
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the model from a JSON object; raises ResponseFormatError when it does not fit."""
        if not isinstance(data, Mapping):
            raise ResponseFormatError(
                f"expected a JSON object for {cls.__name__}, got {type(data).__name__}", status=0
            )
        plan = _plan(cls)
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, raw in data.items():
            entry = plan.get(key)
            if entry is None:
                extra[key] = raw
                continue
            name, convert = entry
            try:
                values[name] = convert(raw)
            except (TypeError, ValueError, ArithmeticError) as exc:
                raise ResponseFormatError(
                    f"{cls.__name__}.{name}: cannot read {raw!r} ({exc})", status=0
                ) from exc
        try:
            return cls(**values, extra=extra)
        except TypeError as exc:
            raise ResponseFormatError(f"{cls.__name__}: {exc}", status=0) from exc

    def to_dict(self) -> dict[str, Any]:
        """Return the model as JSON-ready data with the server's field names (Decimals as
        strings, times as ISO 8601 `Z`), including `extra`."""
        out: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            if item.name == "extra":
                continue
            out[item.metadata.get("json", item.name)] = to_jsonable(getattr(self, item.name))
        out.update(self.extra)
        return out


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a decimal")
    if isinstance(value, float):
        # parse_float=Decimal keeps floats out of responses; refuse one that slips through.
        raise TypeError("a float reached a Decimal field")
    if isinstance(value, (Decimal, int, str)):
        return Decimal(value)
    raise TypeError(f"not a decimal: {type(value).__name__}")


def _to_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"not an ISO 8601 string: {type(value).__name__}")
    return parse_datetime(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise TypeError(f"not an integer: {value!r}")
    return int(value)


def _identity(value: Any) -> Any:
    return value


def _optional(convert: _Convert) -> _Convert:
    def run(value: Any) -> Any:
        return None if value is None else convert(value)

    return run


def _list_of(convert: _Convert) -> _Convert:
    def run(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise TypeError(f"not a list: {type(value).__name__}")
        return [convert(item) for item in value]

    return run


def _dict_of(convert: _Convert) -> _Convert:
    def run(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise TypeError(f"not an object: {type(value).__name__}")
        return {key: convert(item) for key, item in value.items()}

    return run


def _converter(hint: Any) -> _Convert:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        inner = _converter(args[0]) if len(args) == 1 else _identity
        return _optional(inner)
    if origin is list:
        (arg,) = typing.get_args(hint) or (Any,)
        return _list_of(_converter(arg))
    if origin is dict:
        _, arg = typing.get_args(hint) or (str, Any)
        convert = _converter(arg)
        return _identity if convert is _identity else _dict_of(convert)
    if isinstance(hint, type) and issubclass(hint, Model):
        return hint.from_dict
    if hint is Decimal:
        return _to_decimal
    if hint is datetime:
        return _to_datetime
    if hint is int:
        return _to_int
    return _identity


# Each model class's plan, built on its first use. A plain dict rather than functools.cache:
# mypy does not see `type[Self]` (from_dict's `cls`) as Hashable, which cache's wrapper requires.
_PLANS: dict[type[Model], dict[str, tuple[str, _Convert]]] = {}


def _plan(cls: type[Model]) -> dict[str, tuple[str, _Convert]]:
    """JSON name -> (attribute name, converter) for a model class."""
    plan = _PLANS.get(cls)
    if plan is None:
        # Two threads may both build it on first use; the plans are equal, either is kept.
        plan = _PLANS.setdefault(cls, _plan_build(cls))
    return plan


def _plan_build(cls: type[Model]) -> dict[str, tuple[str, _Convert]]:
    hints = typing.get_type_hints(cls)
    plan: dict[str, tuple[str, _Convert]] = {}
    for item in dataclasses.fields(cls):
        if item.name == "extra":
            continue
        plan[item.metadata.get("json", item.name)] = (item.name, _converter(hints[item.name]))
    return plan


def json_name(name: str) -> dict[str, str]:
    """Field metadata for an attribute whose JSON name differs (`from` -> `start`)."""
    return {"json": name}


def parse_list(model: type[M], data: Any) -> list[M]:
    """Build a list of models from a JSON array."""
    if not isinstance(data, list):
        raise ResponseFormatError(f"expected a JSON array of {model.__name__}", status=0)
    return [model.from_dict(item) for item in data]
