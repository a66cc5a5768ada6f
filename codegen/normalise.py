"""Raw ``apidata.js`` tree -> pvectl's normalised schema (plain JSON data, our own format).

The normalised form is what ``schemas/pve-<ver>.json`` holds and what the IR is built from:

* 0/1 flags and ``"1"`` strings become booleans; numeric strings become numbers;
* ``enum: null`` disappears, integer enums of strings become integers;
* Perl regexes (``(?^i:...)``) become Python regexes (still unanchored: PVE anchors them as ``^...$``);
* inline property-string formats move from ``format`` (a dict) to ``property_string``;
* indexed families (``net[n]``) carry ``index_range`` and task-returning methods carry ``task``;
* keys are snake_case; descriptions are kept, everything PVE marks as documentation only stays documentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from codegen.overrides import Overrides

SCHEMA_FORMAT = 1

# Keywords copied through with a new name (documentation or structure we keep as is).
_RENAMED = {
    "description": "description",
    "verbose_description": "verbose_description",
    "typetext": "typetext",
    "format_description": "format_description",
    "requires": "requires",
    "alias": "alias",
    "keyAlias": "key_alias",
    "renderer": "renderer",
    "title": "title",
    "type-property": "type_property",
    "instance-types": "instance_types",
    "links": "links",
}
_NUMERIC = {"minimum": "minimum", "maximum": "maximum", "minLength": "min_length", "maxLength": "max_length"}
_HANDLED = {
    "type",
    "optional",
    "default",
    "enum",
    "pattern",
    "format",
    "properties",
    "additionalProperties",
    "items",
    "default_key",
    "oneOf",
    *_RENAMED,
    *_NUMERIC,
}
# Keywords the meta-schema knows but that carry nothing for a client; dropped without a warning.
_IGNORED = {"disallow", "extends", "completion", "print_width"}

_TRUE = {"1", "on", "yes", "true"}
_FALSE = {"0", "off", "no", "false"}


@dataclass
class Diagnostics:
    """Problems found while normalising: collected, never raised, reported by the generator."""

    items: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")


def perl_regex_to_python(pattern: str) -> str:
    """Turn a Perl ``qr//`` stringification into a Python regex.

    PVE dumps compiled Perl regexes as ``(?^:...)`` / ``(?^i:...)``; ``^`` there means "default flags",
    which Python spells ``(?:...)`` / ``(?i:...)``. Everything else the 9.1 patterns use (atomic groups,
    ``{,n}``, ``\\0``) Python 3.11's ``re`` understands.
    """
    return re.sub(r"\(\?\^([a-z]*):", lambda m: f"(?{m.group(1)}:" if m.group(1) else "(?:", pattern)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _typed_default(schema_type: str | None, value: Any) -> Any:
    """Defaults are documentation only; still, give them their declared type where they have one."""
    if schema_type == "boolean":
        b = _as_bool(value)
        return value if b is None else b
    if schema_type in ("integer", "number"):
        n = _as_number(value)
        if n is None:
            return value  # prose such as "same as user" stays prose
        return int(n) if schema_type == "integer" and float(n).is_integer() else n
    return value


def normalise_schema(raw: Any, where: str, diag: Diagnostics) -> dict[str, Any]:
    """Normalise one (sub-)schema."""
    if not isinstance(raw, dict):
        diag.add(where, f"schema is not an object: {raw!r}")
        return {}
    out: dict[str, Any] = {}
    stype = raw.get("type")
    if stype is None and isinstance(raw.get("properties"), dict):
        # 9.1: GET /cluster/sdn/{controllers,vnets,zones}/{id} returns lost `type: object`.
        stype = "object"
    if stype is not None:
        out["type"] = stype
    if "optional" in raw:
        opt = _as_bool(raw["optional"])
        if opt is None:
            diag.add(where, f"unreadable optional {raw['optional']!r}")
        elif opt:
            out["optional"] = True
    for src, dst in _RENAMED.items():
        if src in raw and raw[src] is not None:
            out[dst] = raw[src]
    for src, dst in _NUMERIC.items():
        if src in raw:
            num = _as_number(raw[src])
            if num is None:
                diag.add(where, f"{src} is not a number: {raw[src]!r}")
            else:
                out[dst] = num
    if "default" in raw:
        out["default"] = _typed_default(stype, raw["default"])
    if raw.get("enum") is not None:
        enum = list(raw["enum"])
        if stype in ("integer", "number"):
            enum = [_as_number(v) if _as_number(v) is not None else v for v in enum]
        out["enum"] = enum
    if "pattern" in raw:
        out["pattern"] = perl_regex_to_python(str(raw["pattern"]))
    if raw.get("default_key"):
        out["default_key"] = True
    fmt = raw.get("format")
    if isinstance(fmt, str):
        out["format"] = fmt
    elif isinstance(fmt, dict):
        out["property_string"] = {k: normalise_schema(v, f"{where}.format.{k}", diag) for k, v in sorted(fmt.items())}
    if isinstance(raw.get("properties"), dict):
        props = raw["properties"]
        keys = list(props)
        if len(keys) == 1 and keys[0].startswith("{") and keys[0].endswith("}"):
            # A placeholder key ({id}, {node}) means "a map keyed by id", e.g. GET /cluster/ceph/metadata.
            out["additional_properties"] = normalise_schema(props[keys[0]], f"{where}.{keys[0]}", diag)
            out["map_key"] = keys[0][1:-1]
        else:
            out["properties"] = {k: normalise_schema(v, f"{where}.{k}", diag) for k, v in sorted(props.items())}
    if "additionalProperties" in raw and "map_key" not in out:
        ap = raw["additionalProperties"]
        if isinstance(ap, dict):
            out["additional_properties"] = normalise_schema(ap, f"{where}.additionalProperties", diag)
        else:
            b = _as_bool(ap)
            if b is None:
                diag.add(where, f"unreadable additionalProperties {ap!r}")
            else:
                out["additional_properties"] = b
    if isinstance(raw.get("items"), dict):
        out["items"] = normalise_schema(raw["items"], f"{where}[]", diag)
    if isinstance(raw.get("oneOf"), list):
        out["one_of"] = [normalise_schema(v, f"{where}|{i}", diag) for i, v in enumerate(raw["oneOf"])]
    for key in raw:
        if key not in _HANDLED and key not in _IGNORED:
            diag.add(where, f"unknown keyword {key!r} ignored")
    return out


_INDEXED = re.compile(r"^(?P<family>[a-z_]+)\[n\]$")


def normalise_method(
    verb: str, path: str, raw: dict[str, Any], overrides: Overrides, diag: Diagnostics
) -> dict[str, Any]:
    """Normalise one method (``info[VERB]``) of one path."""
    where = f"{verb} {path}"
    out: dict[str, Any] = {"name": raw.get("name", ""), "description": raw.get("description", "")}
    if raw.get("permissions") is not None:
        out["permissions"] = raw["permissions"]
    for flag in ("allowtoken", "protected", "download_allowed", "expose_credentials"):
        if flag in raw:
            b = _as_bool(raw[flag])
            if b is None:
                diag.add(where, f"unreadable {flag} {raw[flag]!r}")
            else:
                out[flag] = b
    if "proxyto" in raw:
        out["proxyto"] = raw["proxyto"]
    params_raw = raw.get("parameters") or {}
    params = normalise_schema(params_raw, f"{where} params", diag)
    props: dict[str, Any] = params.get("properties", {})
    for name, schema in props.items():
        m = _INDEXED.match(name)
        if m:
            rng = overrides.index_range(m.group("family"), path)
            if rng is None:
                diag.add(where, f"indexed family {name} has no index range in overrides")
            else:
                schema["index_range"] = list(rng)
    parameters: dict[str, Any] = {"properties": props}
    if "additional_properties" in params:
        parameters["additional_properties"] = params["additional_properties"]
    out["parameters"] = parameters
    returns = normalise_schema(raw.get("returns") or {}, f"{where} returns", diag)
    for name, schema in returns.get("properties", {}).items():
        m = _INDEXED.match(name)
        if m:
            rng = overrides.index_range(m.group("family"), path)
            if rng is not None:
                schema["index_range"] = list(rng)
    out["returns"] = returns
    # The schema has no UPID marker: a string returned by a write is a task, minus known exceptions.
    if verb != "GET" and returns.get("type") == "string" and not overrides.not_a_task(verb, path):
        out["task"] = True
    return out


def normalise_tree(tree: list[dict[str, Any]], version: str, overrides: Overrides, diag: Diagnostics) -> dict[str, Any]:
    """The whole dump -> ``{"format", "version", "paths": [{"path", "methods"}...]}`` sorted by path."""
    nodes: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        path = node["path"]
        methods: dict[str, Any] = {}
        for verb in ("GET", "POST", "PUT", "DELETE"):
            info = (node.get("info") or {}).get(verb)
            if info is None:
                continue
            info = overrides.patch_method(version, verb, path, info, diag)
            methods[verb] = normalise_method(verb, path, info, overrides, diag)
        for verb in node.get("info") or {}:
            if verb not in ("GET", "POST", "PUT", "DELETE"):
                diag.add(path, f"unknown HTTP method {verb!r} ignored")
        nodes.append({"path": path, "methods": methods})
        for child in node.get("children") or []:
            walk(child)

    for top in tree:
        walk(top)
    nodes.sort(key=lambda n: n["path"])
    return {"format": SCHEMA_FORMAT, "version": version, "paths": nodes}
