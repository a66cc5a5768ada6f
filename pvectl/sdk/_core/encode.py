"""Python values -> PVE wire strings: booleans as 1/0, property strings rendered, lists joined or repeated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from pvectl.sdk._core import propstring
from pvectl.sdk._core.spec import Schema
from pvectl.sdk._core.validate import Value


@runtime_checkable
class PveRenderable(Protocol):
    """Anything that renders itself as a PVE value (the generated property-string models do)."""

    def to_pve(self) -> str: ...


class EncodeError(ValueError):
    """A Python value of the wrong kind for a parameter."""


def scalar(value: Any, schema: Schema) -> str:
    """One value -> its wire string."""
    if type(value) in (str, int, float):  # the common case first: the Protocol check below is slow
        return str(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, PveRenderable):
        return value.to_pve()
    if isinstance(value, (int, float, str)):
        return str(value)
    fmt = schema.get("property_string")
    if fmt is not None and isinstance(value, Mapping):
        try:
            return propstring.render(value, fmt)
        except propstring.PropertyStringError as exc:
            raise EncodeError(str(exc)) from exc
    raise EncodeError(f"unsupported value of type {type(value).__name__}")


def to_wire(value: Any, schema: Schema) -> Value:
    """A parameter value -> a string, or a list of strings for array parameters (sent as repeated keys)."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if schema.get("type") == "array":
            items = schema.get("items") or {}
            return [scalar(v, items) for v in value]
        if str(schema.get("format", "")).endswith("-list"):
            return ",".join(scalar(v, {}) for v in value)
        if schema.get("type") == "string" and schema.get("property_string") is None:
            raise EncodeError("expected a single value, got a list")
    return scalar(value, schema)
