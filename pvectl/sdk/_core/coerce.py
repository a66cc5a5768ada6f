"""Lenient, silent coercion of PVE's answers into the declared types (no pydantic validation involved).

Real servers do not follow their return schemas: numbers come as strings and strings as numbers (PVE <= 8
sends qemu ``memory`` as an integer where 9.1 declares a property string), booleans as ``""``/``0``/``"1"``
(PVE 6 ``template: ""``), objects as property strings (``/cluster/backup`` ``prune-backups``) and empty
objects as ``[]`` (Perl's JSON writer has no empty-hash/empty-array distinction for an unblessed value).
Everything that can be read as the declared type is converted; what cannot is kept as sent and logged at
DEBUG -- never dropped, never a warning on stderr (``pvectl.sdk`` has a NullHandler).
"""

from __future__ import annotations

import logging
import types
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, Union, cast, get_args, get_origin

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pvectl.sdk._core.jsonvalue import JsonValue

    M = TypeVar("M", bound=BaseModel)

log = logging.getLogger("pvectl.sdk")

RAW: Any = object()  # "cannot be read as the declared type"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def kept_raw(what: str, value: Any) -> None:
    log.debug("kept raw: %s got %s %.80r", what, type(value).__name__, value)


# -- scalars -------------------------------------------------------------------------------------------


def to_int(value: Any) -> Any:
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return RAW
    return RAW


def to_float(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return RAW
    return RAW


def to_str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    return RAW


def to_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return RAW


_SCALARS = {"int": to_int, "float": to_float, "str": to_str, "bool": to_bool}


# -- untyped or scalar returns (generated resources call these) ----------------------------------------


def _scalar_or_raw(kind: str, data: Any) -> Any:
    out = _SCALARS[kind](data)
    if out is RAW:
        kept_raw(f"a {kind} return", data)
        return data
    return out


def as_int(data: Any) -> int:
    return cast(int, _scalar_or_raw("int", data))


def as_float(data: Any) -> float:
    return cast(float, _scalar_or_raw("float", data))


def as_bool(data: Any) -> bool:
    return cast(bool, _scalar_or_raw("bool", data))


def as_str(data: Any) -> str:
    return "" if data is None else cast(str, _scalar_or_raw("str", data))


def as_json(data: Any) -> JsonValue:
    """An answer the schema does not describe: returned as PVE sent it."""
    return cast("JsonValue", data)


def as_list(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if data is not None:
        kept_raw("a list return", data)  # an object where a list is declared: the data, never []
    return cast(list[Any], data)


def as_dict(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    if isinstance(data, list) and not data:
        return {}
    if data is not None:
        kept_raw("an object return", data)
    return cast(dict[str, Any], data)


# -- models --------------------------------------------------------------------------------------------

Kind = tuple[str, Any]  # ("int", None), ("list", Kind), ("model", cls), ("ps", cls), ("dict", None), ...


def _kind(annotation: Any) -> Kind:
    from pydantic import BaseModel

    from pvectl.sdk._core.models import PropertyString

    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            return ("any", None)
        annotation, origin = args[0], get_origin(args[0])
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        return ("list", _kind(item))
    if origin is dict or annotation is dict:
        return ("dict", None)
    if annotation in (int, float, str, bool):
        return (annotation.__name__, None)
    if isinstance(annotation, type) and issubclass(annotation, PropertyString):
        return ("ps", annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("model", annotation)
    return ("any", None)


@cache
def _fields(cls: type[BaseModel]) -> tuple[dict[str, Kind], dict[str, str]]:
    """Kind of every field, and PVE key (alias or name) -> field name."""
    kinds: dict[str, Kind] = {}
    keys: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        kinds[name] = _kind(info.annotation)
        keys[info.alias or name] = name
        keys.setdefault(name, name)
    return kinds, keys


@cache
def _defaults(cls: type[BaseModel]) -> tuple[dict[str, Any], bool] | None:
    """Every field's plain default and whether extra fields are kept, when ``model_construct``'s work reduces
    to that (no required field, no default factory, no post-init); None otherwise."""
    if cls.__pydantic_post_init__ or cls.__pydantic_root_model__:
        return None
    defaults: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        if info.is_required() or info.default_factory is not None:
            return None
        defaults[name] = info.default
    return defaults, cls.model_config.get("extra") == "allow"


def _new(cls: type[M], values: dict[str, Any], extra: dict[str, Any]) -> M:
    """What ``cls.model_construct`` makes of ``values`` (by field name) and ``extra``, without its per-field
    alias lookups: a tenth of a typed call's own cost on a list of VMs."""
    plain = _defaults(cls)
    if plain is None:
        names = {name: info.alias or name for name, info in cls.model_fields.items()}
        return cls.model_construct(**{names[k]: v for k, v in values.items()}, **extra)
    defaults, keep_extra = plain
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", {**defaults, **values})
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", extra if keep_extra else None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _pairs(text: str) -> dict[str, str] | None:
    """``keep-daily=7,keep-weekly=4`` -> a dict; None when it is not ``k=v,...``."""
    out: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            return None
        out[key.strip()] = value
    return out


def coerce(kind: Kind, value: Any, what: str) -> Any:
    """``value`` as ``kind``, or RAW."""
    tag, arg = kind
    if tag == "any" or value is None:
        return value
    if tag in _SCALARS:
        return _SCALARS[tag](value)
    if tag == "dict":
        if isinstance(value, dict):
            return value
        return {} if isinstance(value, list) and not value else RAW
    if tag == "list":
        if not isinstance(value, list):
            return RAW  # an object where a list is declared stays an object (the caller logs it)
        out = []
        for i, item in enumerate(value):
            got = coerce(arg, item, f"{what}[{i}]")
            if got is RAW:
                kept_raw(f"{what}[{i}]", item)
                got = item
            out.append(got)
        return out
    if tag == "model":
        if isinstance(value, Mapping):
            return construct(arg, value)
        if isinstance(value, list) and not value:
            return construct(arg, {})
        if isinstance(value, str):  # an object sent as a property string (`prune-backups`)
            pairs = _pairs(value)
            return RAW if pairs is None else construct(arg, pairs)
        return RAW
    if tag == "ps":
        if isinstance(value, arg):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # PVE <= 8 sends `memory: 2048`, the default key's value
        if isinstance(value, str):
            try:
                return arg.from_pve(value)
            except ValueError:
                return RAW
        return RAW
    return value


def construct(cls: type[M], data: Mapping[str, Any], *, strict: bool = False) -> M:
    """An instance of ``cls`` from PVE's mapping, coerced field by field without pydantic validation.

    Undeclared keys are kept as extra fields. A value that cannot be coerced is kept as sent (logged at
    DEBUG); with ``strict`` it raises ValueError instead (property strings: "does not parse").
    """
    kinds, keys = _fields(cls)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        name = keys.get(key)
        if name is None:
            extra[key] = value  # an undeclared field
            continue
        got = coerce(kinds[name], value, f"{cls.__name__}.{key}")
        if got is RAW:
            if strict:
                raise ValueError(f"{key}: {value!r} is not a valid {kinds[name][0]}")
            kept_raw(f"{cls.__name__}.{key}", value)
            got = value
        values[name] = got
    obj = _new(cls, values, extra)
    if "_pve_answer" in cls.__private_attributes__:  # a ResponseModel: keep the answer as sent (pve_answer())
        object.__setattr__(obj, "__pydantic_private__", {"_pve_answer": {str(k): v for k, v in data.items()}})
    return obj


def parse_model(cls: type[M], data: Any) -> M:
    """PVE's object as ``cls``; an answer that is not an object is returned as sent (logged at DEBUG)."""
    if isinstance(data, Mapping):
        return construct(cls, data)
    if isinstance(data, list) and not data:
        empty = construct(cls, {})
        if "_pve_answer" in cls.__private_attributes__:
            object.__setattr__(empty, "__pydantic_private__", {"_pve_answer": []})  # as sent
        return empty
    kept_raw(cls.__name__, data)
    return cast("M", data)


def parse_list(cls: type[M], data: Any) -> list[M]:
    if isinstance(data, list):
        return [parse_model(cls, item) for item in data]
    kept_raw(f"list[{cls.__name__}]", data)  # never [] for an answer that is not a list
    return cast("list[M]", data)


def parse_map(cls: type[M], data: Any) -> dict[str, M]:
    if isinstance(data, Mapping):
        return {str(k): parse_model(cls, v) for k, v in data.items()}
    if isinstance(data, list) and not data:
        return {}
    kept_raw(f"dict[str, {cls.__name__}]", data)
    return cast("dict[str, M]", data)
