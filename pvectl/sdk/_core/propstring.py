"""PVE property strings (``virtio=AA:BB:..,bridge=vmbr0,firewall=1``): parse and print, as PVE does.

Mirrors ``parse_property_string`` / ``print_property_string`` in pve-common's JSONSchema.pm: ``k=v`` pairs
joined by ``,`` with no quoting; one bare value fills the ``default_key``; ``alias`` keys are other spellings;
``keyAlias`` (only qemu ``net[n]``) turns ``virtio=MAC`` into ``model=virtio,macaddr=MAC``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Format = Mapping[str, Mapping[str, Any]]

_TRUE = {"1", "on", "yes", "true"}
_FALSE = {"0", "off", "no", "false"}


class PropertyStringError(ValueError):
    """The text is not a property string of this format (the message is PVE's wording)."""


def parse_boolean(value: str) -> str:
    """PVE's lenient boolean inside property strings: yes/on/true/1 -> "1", no/off/false/0 -> "0"."""
    low = value.strip().lower()
    if low in _TRUE:
        return "1"
    if low in _FALSE:
        return "0"
    return value


def default_key(fmt: Format) -> str | None:
    for key, schema in fmt.items():
        if schema.get("default_key"):
            return key
    return None


def parse(text: str, fmt: Format) -> dict[str, str]:
    """Split a property string into raw string values keyed by canonical (non-alias) key names.

    Raises PropertyStringError for syntax problems; values are *not* checked here (see validate.py).
    """
    res: dict[str, str] = {}
    dkey_used = False
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" in part:
            key, _, value = part.partition("=")
            if not key or value == "":
                raise PropertyStringError("missing key in comma-separated list property")
            if key in res:
                raise PropertyStringError(f"duplicate key in comma-separated list property: {key}")
            schema = fmt.get(key)
            if schema is not None and schema.get("alias"):
                key_alias = schema.get("key_alias")
                if key_alias:
                    if key_alias in res:
                        raise PropertyStringError(f"key alias '{key_alias}' is already defined")
                    res[key_alias] = key
                key = str(schema["alias"])
                schema = fmt.get(key)
            if schema is None:
                raise PropertyStringError(f"invalid key in comma-separated list property: {key}")
            if schema.get("type") == "boolean":
                value = parse_boolean(value)
            res[key] = value
        else:
            dkey = default_key(fmt)
            if dkey is None:
                raise PropertyStringError("value without key, but schema does not define a default key")
            if dkey_used or dkey in res:
                raise PropertyStringError(f"duplicate key in comma-separated list property: {dkey}")
            dkey_used = True
            res[dkey] = part
    return res


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ";".join(_text(v) for v in value)
    return str(value)


def render(values: Mapping[str, Any], fmt: Format) -> str:
    """Print values in PVE's canonical order: default key bare, then required keys, then the rest, sorted.

    ``None`` values are skipped. A ``keyAlias`` pair (qemu net ``model`` + ``macaddr``) prints as
    ``<model>=<macaddr>``. Values containing a comma cannot be represented (PVE has no escaping).
    """
    data = {k: _text(v) for k, v in values.items() if v is not None}
    for key, value in data.items():
        if "," in value:
            raise PropertyStringError(f"illegal value with commas for key '{key}': {value!r}")
        if key not in fmt:
            raise PropertyStringError(f"invalid key in comma-separated list property: {key}")
    parts: list[str] = []
    dkey = default_key(fmt)
    # keyAlias: some key K has alias=A and key_alias=M; when data has M=K-ish and A, print "M-value=A-value".
    key_alias_pair: tuple[str, str] | None = None
    for schema in fmt.values():
        if schema.get("key_alias"):
            key_alias_pair = (str(schema["key_alias"]), str(schema["alias"]))
            break
    done: set[str] = set()
    if key_alias_pair and key_alias_pair[0] in data and key_alias_pair[1] in data:
        name_key, value_key = key_alias_pair
        parts.append(f"{data[name_key]}={data[value_key]}")
        done |= {name_key, value_key}
    elif dkey and dkey in data:
        parts.append(data[dkey])
        done.add(dkey)
    required = sorted(k for k in data if k not in done and not fmt[k].get("optional"))
    optional = sorted(k for k in data if k not in done and fmt[k].get("optional"))
    parts += [f"{k}={data[k]}" for k in (*required, *optional)]
    return ",".join(parts)
