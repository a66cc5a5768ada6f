"""The runtime API spec: every operation's parameter and return schemas, loaded once from generated data.

``pvectl/sdk/_apispec.json`` is written by ``python -m codegen`` from the normalised schema (descriptions
stripped, property-string formats shared by id). Request building, the pvesh-style CLI and the simulator
all read it through this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

Schema = Mapping[str, Any]


@dataclass(frozen=True)
class OpSpec:
    """One API method as the runtime needs it."""

    key: str  # "POST /nodes/{node}/qemu"
    method: str
    path: str
    name: str  # PVE's method name
    path_params: tuple[str, ...]
    params: Mapping[str, Schema]
    additional: bool | Schema | None
    returns: Schema
    task: bool
    allowtoken: bool
    download: bool


@dataclass(frozen=True, eq=False)
class ApiSpec:
    version: str
    ops: Mapping[str, OpSpec]
    by_path: Mapping[str, Mapping[str, OpSpec]]
    paths: tuple[str, ...]  # every path of the tree, also those without methods
    formats: Mapping[str, Mapping[str, Schema]]  # property-string formats by id (= model class name)

    def op(self, key: str) -> OpSpec:
        return self.ops[key]

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        """Concrete path (``/nodes/pve1/qemu``) -> (template, path values), like PVE's router."""
        parts = [p for p in path.strip("/").split("/") if p]
        for template in _templates_by_depth(self).get(len(parts), ()):
            values: dict[str, str] = {}
            for seg, part in zip(template.strip("/").split("/"), parts, strict=True):
                if seg.startswith("{"):
                    values[seg[1:-1]] = part
                elif seg != part:
                    break
            else:
                return template, values
        # storage content volumes may contain '/' (pve-storage sets fragmentDelimiter => '')
        m = re.fullmatch(r"/nodes/([^/]+)/storage/([^/]+)/content/(.+)", "/" + "/".join(parts))
        if m:
            return "/nodes/{node}/storage/{storage}/content/{volume}", {
                "node": m.group(1),
                "storage": m.group(2),
                "volume": m.group(3),
            }
        return None


@cache
def _templates_by_depth(spec: ApiSpec) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    # literal segments win over parameters, as in PVE's router (no node has both kinds of children)
    for template in sorted(spec.paths, key=lambda t: t.count("{")):
        out.setdefault(len([p for p in template.strip("/").split("/") if p]), []).append(template)
    return {k: tuple(v) for k, v in out.items()}


def _resolve(schema: Any, formats: Mapping[str, Any]) -> Any:
    if isinstance(schema, dict):
        out = {k: _resolve(v, formats) for k, v in schema.items()}
        ref = out.get("property_string")
        if isinstance(ref, str):
            out["property_string"] = formats[ref]
        return out
    if isinstance(schema, list):
        return [_resolve(v, formats) for v in schema]
    return schema


class _Ops(Mapping[str, OpSpec]):
    """Operations by key, built on first access (resolving all 649 up front costs ~100 ms)."""

    def __init__(self, raw: Mapping[str, Any], formats: Mapping[str, Any]) -> None:
        self._raw = raw
        self._formats = formats
        self._built: dict[str, OpSpec] = {}

    def __getitem__(self, key: str) -> OpSpec:
        op = self._built.get(key)
        if op is None:
            raw = self._raw[key]
            method, path = key.split(" ", 1)
            op = OpSpec(
                key=key,
                method=method,
                path=path,
                name=raw.get("name", ""),
                path_params=tuple(re.findall(r"\{([^}]+)\}", path)),
                params=_resolve(raw.get("params", {}), self._formats),
                additional=raw.get("additional", False),
                returns=_resolve(raw.get("returns", {}), self._formats),
                task=bool(raw.get("task")),
                allowtoken=bool(raw.get("allowtoken", True)),
                download=bool(raw.get("download")),
            )
            self._built[key] = op
        return op

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class _ByPath(Mapping[str, Mapping[str, OpSpec]]):
    """Path template -> {HTTP method -> operation}."""

    def __init__(self, ops: _Ops) -> None:
        self._ops = ops
        self._methods: dict[str, list[str]] = {}
        for key in ops:
            method, path = key.split(" ", 1)
            self._methods.setdefault(path, []).append(method)

    def __getitem__(self, path: str) -> Mapping[str, OpSpec]:
        return {method: self._ops[f"{method} {path}"] for method in self._methods[path]}

    def __iter__(self) -> Iterator[str]:
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)


def build_spec(data: Mapping[str, Any]) -> ApiSpec:
    formats = data["formats"]
    ops = _Ops(data["ops"], formats)
    return ApiSpec(version=data["version"], ops=ops, by_path=_ByPath(ops), paths=tuple(data["paths"]), formats=formats)


class _Lines(Mapping[str, Any]):
    """One ``"key":{...}`` line per entry (codegen's spec_json layout), parsed when first read."""

    def __init__(self, lines: list[str]) -> None:
        self._lines: dict[str, str] = {}
        for line in lines:
            # '"GET /nodes":{...},' -> key, value text (keys never contain '":')
            key, _, value = line.rstrip(",").partition('":')
            self._lines[key[1:]] = value
        self._parsed: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._parsed[key]
        except KeyError:
            value = self._parsed[key] = json.loads(self._lines[key])
            return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


def parse_spec_text(text: str) -> dict[str, Any]:
    """The spec file as a mapping whose formats and ops are parsed one entry at a time, on first use."""
    lines = text.splitlines()
    if len(lines) < 6 or lines[1] != '"formats":{' or "}," not in lines:
        return dict(json.loads(text))  # any other layout: parse it whole
    end = lines.index("},")  # closes "formats"; the next line opens "ops"
    data: dict[str, Any] = json.loads(lines[0][:-1] + "}")
    data["formats"] = _Lines([line for line in lines[2:end] if line])
    data["ops"] = _Lines([line for line in lines[end + 2 : -1] if line])
    return data


@cache
def load_spec() -> ApiSpec:
    """The spec of the PVE release the SDK was generated for (cached)."""
    import os

    # a plain file next to the package (importlib.resources would add ~50 ms of imports to the first call)
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "_apispec.json")
    with open(path, encoding="utf-8") as handle:
        return build_spec(parse_spec_text(handle.read()))
