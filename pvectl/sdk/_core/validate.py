"""Validate wire-form parameters against a normalised PVE schema, with PVE's semantics and wording.

The client runs this on exactly what it is about to send; the simulator runs it on what it received. Both
follow ``check_object``/``check_prop``/``check_type`` of pve-common's JSONSchema.pm: top-level booleans are
only ``1``/``0``, property strings are parsed and their keys checked, unknown parameters are rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pvectl.sdk._core import propstring
from pvectl.sdk._core.formats import check_format

Schema = Mapping[str, Any]
Value = str | list[str]

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.\d*|\d*\.\d+|\d+)(?:[eE][+-]?\d+)?")
_FAMILY_KEY = re.compile(r"([a-z_]+?)(\d+)")


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str]:
    # PVE anchors every schema pattern as m/^$pattern$/.
    return re.compile(f"^(?:{pattern})$")


def _num(value: str) -> float | None:
    return float(value) if _NUMBER.fullmatch(value) else None


def _fmt_bound(bound: Any) -> str:
    return str(int(bound)) if isinstance(bound, float) and bound.is_integer() else str(bound)


def check_type(path: str, stype: str | None, value: Value, errors: dict[str, str]) -> bool:
    if stype is None or stype == "any":
        return True
    if isinstance(value, list):
        if stype == "array":
            return True
        errors[path] = f"type check ('{stype}') failed - got ARRAY"
        return False
    if stype == "array":
        errors[path] = f"type check ('{stype}') failed"
        return False
    if stype == "boolean" and value not in ("0", "1"):
        errors[path] = f"type check ('{stype}') failed - got '{value}'"
        return False
    if stype == "integer" and not _INTEGER.fullmatch(value):
        errors[path] = f"type check ('{stype}') failed - got '{value}'"
        return False
    if stype == "number" and not _NUMBER.fullmatch(value):
        errors[path] = f"type check ('{stype}') failed - got '{value}'"
        return False
    if stype in ("object", "null"):
        errors[path] = f"type check ('{stype}') failed"
        return False
    return True


def check_prop(value: Value | None, schema: Schema, path: str, errors: dict[str, str]) -> None:
    """Check one value (a string, or a list for arrays) against its schema."""
    if value is None:
        if not schema.get("optional") and not schema.get("alias") and schema.get("type") != "boolean":
            errors[path] = "property is missing and it is not optional"
        return
    if not check_type(path, schema.get("type"), value, errors):
        return
    if isinstance(value, list):
        items = schema.get("items")
        if items:
            for i, item in enumerate(value):
                check_prop(item, items, f"{path}[{i}]", errors)
        return
    fmt = schema.get("property_string")
    if fmt is not None:
        message = check_property_string(value, fmt, path)
        if message:
            errors[path] = f"invalid format - {message}"
            return
    elif isinstance(schema.get("format"), str):
        message = check_format(schema["format"], value)
        if message:
            errors[path] = f"invalid format - {message}\n"
            return
    pattern = schema.get("pattern")
    if pattern and not _pattern(pattern).match(value):
        errors[path] = "value does not match the regex pattern"
        return
    if "max_length" in schema and len(value) > schema["max_length"]:
        errors[path] = f"value may only be {schema['max_length']} characters long"
        return
    if "min_length" in schema and len(value) < schema["min_length"]:
        errors[path] = f"value must be at least {schema['min_length']} characters long"
        return
    number = _num(value)
    if number is not None:
        if "maximum" in schema and number > schema["maximum"]:
            errors[path] = f"value must have a maximum value of {_fmt_bound(schema['maximum'])}"
            return
        if "minimum" in schema and number < schema["minimum"]:
            errors[path] = f"value must have a minimum value of {_fmt_bound(schema['minimum'])}"
            return
    enum = schema.get("enum")
    if enum is not None and value not in [str(e) for e in enum]:
        errors[path] = f"value '{value}' does not have a value in the enumeration '{', '.join(map(str, enum))}'"


def check_property_string(text: str, fmt: Mapping[str, Schema], path: str) -> str | None:
    """PVE's message for an invalid property string (``format error`` plus each key's problem), or None."""
    try:
        values = propstring.parse(text, fmt)
    except propstring.PropertyStringError as exc:
        return f"{exc}\n"
    sub_errors: dict[str, str] = {}
    check_object(values, fmt, False, sub_errors, prefix=path)
    if not sub_errors:
        return None
    return "format error\n" + "".join(f"{k}: {v.rstrip()}\n" for k, v in sorted(sub_errors.items()))


def family_of(key: str, props: Mapping[str, Schema]) -> tuple[str, Schema] | None:
    """``net7`` -> (``net[n]``, schema) when ``net[n]`` exists and 7 is inside its index range."""
    m = _FAMILY_KEY.fullmatch(key)
    if not m:
        return None
    fam = f"{m.group(1)}[n]"
    schema = props.get(fam)
    if schema is None:
        return None
    low, high = schema.get("index_range", (0, 255))
    return (fam, schema) if low <= int(m.group(2)) <= high else None


def check_object(
    values: Mapping[str, Value],
    props: Mapping[str, Schema],
    additional: bool | Schema | None,
    errors: dict[str, str],
    *,
    prefix: str = "",
) -> None:
    """check_object: required and typed properties, ``requires``, and unknown keys."""

    def name(k: str) -> str:
        return f"{prefix}.{k}" if prefix else k

    for key, declared in props.items():
        if key.endswith("[n]"):
            continue  # families are checked per concrete key below
        check_prop(values.get(key), declared, name(key), errors)
    for key, value in values.items():
        schema: Schema | None = props.get(key)
        if schema is None:
            fam = family_of(key, props)
            if fam is not None:
                schema = fam[1]
                check_prop(value, schema, name(key), errors)
        if schema is not None:
            requires = schema.get("requires")
            if isinstance(requires, str) and requires not in values:
                errors[name(requires)] = f"missing property - '{name(key)}' requires this property"
            continue
        if additional is None or additional is False:
            errors[name(key)] = "property is not defined in schema and the schema does not allow additional properties"
        elif isinstance(additional, Mapping):
            check_prop(value, additional, name(key), errors)


def validate_params(
    params: Mapping[str, Value], properties: Mapping[str, Schema], additional: bool | Schema | None = False
) -> dict[str, str]:
    """All problems of a parameter set, keyed by parameter (empty when valid).

    ``additional`` None means the method does not declare ``additionalProperties``; PVE then accepts
    unknown keys (13 SDN fabric methods), but clients should not rely on it, so callers pass False.
    """
    errors: dict[str, str] = {}
    normalised: dict[str, Value] = {}
    for key, value in params.items():
        schema = properties.get(key)
        if schema is None:
            fam = family_of(key, properties)
            schema = fam[1] if fam else None
        if schema is not None and isinstance(value, str) and schema.get("type") == "array":
            value = [value]  # the server wraps a single scalar
        if (
            schema is not None
            and isinstance(value, list)
            and schema.get("type") == "string"
            and str(schema.get("format", "")).endswith("-list")
        ):
            value = ",".join(value)  # PVE >= 8.0 joins arrays given for -list strings
        normalised[key] = value
    check_object(normalised, properties, additional, errors)
    return errors
