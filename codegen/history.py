"""The compact per-release history behind the version table: which releases have each method and parameter."""

from __future__ import annotations

import re
from typing import Any


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key for PVE versions such as ``7.4-2`` or ``9.1.3``."""
    return tuple(int(p) for p in re.split(r"[.-]", version) if p.isdigit())


def surface(normalised: dict[str, Any]) -> dict[str, list[str]]:
    """Method key (``VERB /path``) -> sorted parameter names, for one normalised schema."""
    out: dict[str, list[str]] = {}
    for node in normalised["paths"]:
        for verb, method in node["methods"].items():
            out[f"{verb} {node['path']}"] = sorted(method["parameters"]["properties"])
    return out


def decode(history: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """The stored history -> per-version surfaces."""
    versions: list[str] = history["versions"]
    per: dict[str, dict[str, list[str]]] = {v: {} for v in versions}
    for key, entry in history["methods"].items():
        for i, v in enumerate(versions):
            if entry["in"][i] == "1":
                per[v][key] = sorted(p for p, bits in entry["params"].items() if bits[i] == "1")
    return per


def encode(per_version: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    """Per-version surfaces -> ``{"versions": [...], "methods": {key: {"in": "0111", "params": {...}}}}``.

    Each bit string has one character per release, oldest first.
    """
    versions = sorted(per_version, key=version_key)
    keys = sorted({k for surf in per_version.values() for k in surf})
    methods: dict[str, Any] = {}
    for key in keys:
        present = "".join("1" if key in per_version[v] else "0" for v in versions)
        names = sorted({p for v in versions for p in per_version[v].get(key, [])})
        params = {
            name: "".join("1" if name in per_version[v].get(key, []) else "0" for v in versions) for name in names
        }
        methods[key] = {"in": present, "params": params}
    return {"versions": versions, "methods": methods}
