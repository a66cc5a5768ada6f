"""Pydantic bases of the generated models. Imported by generated model modules only (never at startup).

Response models are lenient: real PVE returns undeclared fields and numbers as strings, and never enforces
its declared return schemas, so a response that does not fit falls back to the raw data with a warning.
Property-string models render to and parse from PVE's ``key=value,...`` syntax.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from pvectl.sdk._core import propstring

log = logging.getLogger("pvectl.sdk")

M = TypeVar("M", bound=BaseModel)


class ResponseModel(BaseModel):
    """Base of every generated response model: extra fields kept, every field optional, lax types."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True, regex_engine="python-re")

    def indexed(self, family: str) -> dict[int, Any]:
        """Members of an indexed family (``net`` -> ``{0: "virtio=..,bridge=vmbr0"}``), from extra fields."""
        pattern = re.compile(rf"{re.escape(family)}(\d+)")
        out: dict[int, Any] = {}
        for key, value in (self.model_extra or {}).items():
            m = pattern.fullmatch(key)
            if m:
                out[int(m.group(1))] = value
        return dict(sorted(out.items()))


class PropertyString(BaseModel):
    """Base of the generated property-string models (``net[n]``, ``scsi[n]``, ``agent``, ...)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    pve_format: ClassVar[str] = ""
    pve_format_spec: ClassVar[dict[str, Any]] = {}

    @classmethod
    def _format(cls) -> Mapping[str, Mapping[str, Any]]:
        return cls.pve_format_spec

    def to_pve(self) -> str:
        """PVE's text for this value (``virtio,bridge=vmbr0,firewall=1``)."""
        return propstring.render(self.model_dump(by_alias=True, exclude_none=True), self._format())

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse PVE's text; values are coerced (``"1"`` -> True, ``"32"`` -> 32)."""
        return cls.model_validate(propstring.parse(text, cls._format()))

    def __str__(self) -> str:
        return self.to_pve()


def parse_model(cls: type[M], data: Any) -> M:
    """Validate leniently; fields PVE sent in an undeclared shape keep their raw values (with a warning)."""
    if not isinstance(data, Mapping):
        log.warning("expected an object for %s, got %s", cls.__name__, type(data).__name__)
        return cls.model_construct()
    try:
        return cls.model_validate(data)
    except PydanticValidationError as exc:
        bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        log.warning("response field(s) %s do not match %s; keeping their raw values", sorted(bad), cls.__name__)
    try:
        obj = cls.model_validate({k: v for k, v in data.items() if k not in bad})
    except PydanticValidationError:
        return cls.model_construct(**data)
    by_alias = {(f.alias or name): name for name, f in cls.model_fields.items()}
    for key in bad:
        if key in data:
            obj.__dict__[by_alias.get(key, key)] = data[key]
    return obj


def parse_list(cls: type[M], data: Any) -> list[M]:
    if not isinstance(data, list):
        return []
    return [parse_model(cls, item) for item in data]


def parse_map(cls: type[M], data: Any) -> dict[str, M]:
    if not isinstance(data, Mapping):
        return {}
    return {str(k): parse_model(cls, v) for k, v in data.items()}
