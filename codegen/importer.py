"""``python -m codegen import``: raw dumps -> ``schemas/`` (normalised target schema, history, lock)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from codegen import GENERATOR_VERSION, TARGET_VERSION
from codegen.history import decode, encode, surface, version_key
from codegen.load import RawDump, load_dump, version_from_name
from codegen.normalise import Diagnostics, normalise_tree
from codegen.overrides import Overrides

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
DEFAULT_SOURCES = Path(__file__).resolve().parent.parent.parent / "shared" / "pve-schemas"


def dump_json(data: Any) -> str:
    """The one JSON layout used for every file in schemas/: stable, diffable."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def schema_file(version: str, schemas: Path = SCHEMAS) -> Path:
    return schemas / f"pve-{version}.json"


def read_lock(schemas: Path = SCHEMAS) -> dict[str, Any]:
    path = schemas / "schema.lock"
    if not path.exists():
        return {"generator": GENERATOR_VERSION, "target": TARGET_VERSION, "schemas": {}}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def portable_source(source: str) -> str:
    """Record where a dump came from without naming this machine's directories."""
    if "://" in source:
        return source
    return f"pve-schemas/{Path(source).name}"


def normalise_dump(dump: RawDump, version: str, overrides: Overrides) -> tuple[dict[str, Any], Diagnostics]:
    diag = Diagnostics()
    return normalise_tree(dump.tree, version, overrides, diag), diag


def import_dumps(
    sources: list[str],
    *,
    version: str | None = None,
    insecure: bool = False,
    schemas: Path = SCHEMAS,
) -> list[str]:
    """Normalise each source and update schemas/. Returns the diagnostics as lines."""
    overrides = Overrides.from_file(schemas / "overrides.toml")
    lock = read_lock(schemas)
    history_path = schemas / "history.json"
    per_version = decode(json.loads(history_path.read_text())) if history_path.exists() else {}
    report: list[str] = []
    for source in sources:
        ver = version or version_from_name(source)
        if ver is None:
            raise SystemExit(f"cannot tell the PVE version of {source}; pass --version")
        dump = load_dump(source, insecure=insecure)
        normalised, diag = normalise_dump(dump, ver, overrides)
        report += [f"{ver}: {line}" for line in diag.items]
        per_version[ver] = surface(normalised)
        entry: dict[str, Any] = {"source": portable_source(source), "sha256": dump.sha256}
        if ver == TARGET_VERSION:
            text = dump_json(normalised)
            schema_file(ver, schemas).write_text(text)
            entry["normalised"] = schema_file(ver, schemas).name
            entry["normalised_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        lock["schemas"][ver] = entry
    lock["generator"] = GENERATOR_VERSION
    lock["target"] = TARGET_VERSION
    lock["overrides_sha256"] = overrides.sha256
    lock["schemas"] = dict(sorted(lock["schemas"].items(), key=lambda kv: version_key(kv[0])))
    history_path.write_text(dump_json(encode(per_version)))
    (schemas / "schema.lock").write_text(dump_json(lock))
    return report


def default_sources(directory: Path = DEFAULT_SOURCES) -> list[str]:
    return sorted(
        (str(p) for p in directory.glob("pve-*-apidata.js")),
        key=lambda s: version_key(version_from_name(s) or "0"),
    )


def check_schemas(directory: Path = DEFAULT_SOURCES, schemas: Path = SCHEMAS) -> list[str]:
    """Re-import every locked dump that is reachable and report any difference from schemas/."""
    problems: list[str] = []
    lock = read_lock(schemas)
    overrides = Overrides.from_file(schemas / "overrides.toml")
    if lock.get("overrides_sha256") != overrides.sha256:
        problems.append("schemas/overrides.toml changed since the last import (run: python -m codegen import --all)")
    history = json.loads((schemas / "history.json").read_text())
    per_version = decode(history)
    for ver, entry in lock["schemas"].items():
        if "://" in entry["source"]:
            continue
        path = directory / Path(entry["source"]).name
        if not path.exists():
            continue
        dump = load_dump(str(path))
        if dump.sha256 != entry["sha256"]:
            problems.append(f"{path.name}: sha256 differs from schema.lock")
            continue
        normalised, _ = normalise_dump(dump, ver, overrides)
        if surface(normalised) != per_version.get(ver):
            problems.append(f"schemas/history.json is stale for {ver}")
        if entry.get("normalised"):
            current = (schemas / entry["normalised"]).read_text()
            if dump_json(normalised) != current:
                problems.append(f"schemas/{entry['normalised']} differs from a fresh import of {path.name}")
    return problems
