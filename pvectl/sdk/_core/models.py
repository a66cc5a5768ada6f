"""Pydantic bases of the generated models. Imported by generated model modules only (never at startup).

Response models are lenient: real PVE returns undeclared fields (kept as extra fields) and values in other
shapes than declared (coerced, see coerce.py). They are built without pydantic validation, so the first
typed call does not pay for building a validator it would not use.
Property-string models render to and parse from PVE's ``key=value,...`` syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import import_module
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr

from pvectl.sdk._core import propstring
from pvectl.sdk._core.coerce import construct, parse_list, parse_map, parse_model

__all__ = ["PropertyString", "ResponseModel", "parse_list", "parse_map", "parse_model"]

_MEMBER = re.compile(r"(\D+?)(\d+)")


class ResponseModel(BaseModel):
    """Base of every generated response model: extra fields kept, every field optional, lax types."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True, regex_engine="python-re")
    # PVE key or indexed family -> its property-string model (generated per model)
    pve_formats: ClassVar[dict[str, str]] = {}
    # the object exactly as PVE sent it (values uncoerced: `onboot: 1`, `"2048"`), set by coerce.construct
    _pve_answer: Any = PrivateAttr(default=None)

    def pve_answer(self) -> Any:
        """The answer as PVE sent it (a fresh dict, values uncoerced; ``[]`` where PVE's JSON encoder sent an empty
        object as an empty list) -- for code that reads PVE's own keys and value shapes (a config compared key by
        key, a field this schema does not declare)."""
        sent = (self.__pydantic_private__ or {}).get("_pve_answer")
        if sent is None:  # built by hand, not from an answer
            return self.model_dump(by_alias=True, exclude_unset=True)
        return dict(sent) if isinstance(sent, Mapping) else list(sent)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        # a value PVE sent in an undeclared shape stays as sent (logged at DEBUG): no serializer warning
        kwargs.setdefault("warnings", False)
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("warnings", False)
        return super().model_dump_json(**kwargs)

    def _value(self, key: str) -> Any:
        extra = self.model_extra or {}
        if key in extra:
            return extra[key]
        for name, info in type(self).model_fields.items():
            if (info.alias or name) == key:
                return getattr(self, name)
        return None

    def _format_model(self, key: str) -> type[PropertyString]:
        name = self.pve_formats.get(key)
        if name is None and (m := _MEMBER.fullmatch(key)):
            name = self.pve_formats.get(m.group(1))
        if name is None:
            raise KeyError(f"{key} is not a property string of {type(self).__name__}")
        package = type(self).__module__.rpartition(".")[0]
        model: type[PropertyString] = getattr(import_module(f"{package}.formats"), name)
        return model

    def parsed(self, key: str) -> PropertyString | None:
        """A property-string value as its model (``cfg.parsed("net0")`` -> QemuNetFormat); None if absent.

        Raises KeyError for a key that is not a property string here, ValueError for text that does not parse.
        """
        model = self._format_model(key)
        value = self._value(key)
        if value is None or isinstance(value, PropertyString):
            return value
        return model.from_pve(str(value))

    def indexed(self, family: str, *, parse: bool = False) -> dict[int, Any]:
        """Members of an indexed family (``net`` -> ``{0: "virtio=..,bridge=vmbr0"}``), from extra fields.

        ``parse=True`` returns them as their property-string models (``{0: QemuNetFormat(...)}``).
        """
        pattern = re.compile(rf"{re.escape(family)}(\d+)")
        out: dict[int, Any] = {}
        for key, value in (self.model_extra or {}).items():
            m = pattern.fullmatch(key)
            if m:
                out[int(m.group(1))] = self.parsed(key) if parse else value
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
        """Parse PVE's text and validate it (``"1"`` -> True, ``"32"`` -> 32); for values you will send."""
        return cls.model_validate(propstring.parse(text, cls._format()))

    @classmethod
    def from_pve(cls, text: str) -> Self:
        """Read PVE's text from an answer: coerced like response fields, no validator built.

        Raises ValueError (PropertyStringError) when the text is not a property string of this format.
        """
        return construct(cls, propstring.parse(text, cls._format()), strict=True)

    def __str__(self) -> str:
        return self.to_pve()
