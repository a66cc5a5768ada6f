"""The version table in pve-manager releases: the dumps' pve-docs labels mapped, and changelog pins.

``schemas/releases.toml`` says which pve-manager release each schema dump describes (``GET /version`` answers
pve-manager's version, not pve-docs') and pins features to the release whose changelog added them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from codegen.history import version_key

RELEASES_FILE = Path(__file__).resolve().parent.parent / "schemas" / "releases.toml"


def load(path: Path = RELEASES_FILE) -> tuple[dict[str, str], dict[str, str]]:
    """(dump label -> pve-manager release, feature -> pve-manager release that added it)."""
    data = tomllib.loads(path.read_text())
    return dict(data.get("dumps", {})), dict(data.get("since", {}))


def relabel(history: dict[str, Any], dumps: dict[str, str]) -> dict[str, Any]:
    """``history`` with its versions in pve-manager releases (the bit strings keep their order)."""
    versions = [dumps.get(v, v) for v in history["versions"]]
    if [version_key(v) for v in versions] != sorted(version_key(v) for v in versions):
        raise ValueError("schemas/releases.toml: the pve-manager releases are not in the dumps' order")
    return {**history, "versions": versions}


def check_pins(history: dict[str, Any], since: dict[str, str]) -> list[str]:
    """Pins that contradict the table: each must fall after the last release without and at or before the
    first release with the feature."""
    problems = []
    versions = history["versions"]
    for feature, release in since.items():
        parts = feature.split(" ")
        key, param = " ".join(parts[:2]), " ".join(parts[2:])
        entry = history["methods"].get(key)
        if entry is None:
            problems.append(f"{feature}: no such method in the version table")
            continue
        bits = entry["params"].get(param) if param else entry["in"]
        if bits is None:
            problems.append(f"{feature}: no such parameter in the version table")
            continue
        first = bits.find("1")
        if first < 0 or version_key(release) > version_key(versions[first]):
            problems.append(f"{feature}: pinned to {release}, after the first release listing it")
        elif first > 0 and version_key(release) <= version_key(versions[first - 1]):
            problems.append(f"{feature}: pinned to {release}, but {versions[first - 1]} lacks it")
    return problems
