"""Known PVE schema bugs and gaps, patched as data from ``schemas/overrides.toml`` (one reason per entry)."""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codegen.normalise import Diagnostics


class OverrideError(ValueError):
    """The overrides file is malformed."""


@dataclass(frozen=True)
class Patch:
    versions: str
    method: str
    pointer: str
    op: str
    value: Any
    reason: str


@dataclass(frozen=True)
class ReturnFields:
    """Fields real servers return that the schema does not declare (added where absent, never replacing)."""

    versions: str
    method: str
    pointer: str  # JSON pointer to the returned object's schema (`/returns/items` for a list)
    fields: dict[str, Any]
    reason: str
    evidence: str


@dataclass(frozen=True)
class IndexRange:
    family: str
    paths: re.Pattern[str]
    low: int
    high: int
    reason: str


def _pointer_parts(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise OverrideError(f"JSON pointer must start with '/': {pointer!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


class Overrides:
    """Patches to raw methods, index ranges of ``xxx[n]`` families and task-detection exceptions."""

    def __init__(self, data: dict[str, Any], sha256: str = "") -> None:
        self.sha256 = sha256
        self.used: set[int] = set()
        try:
            self.patches = [
                Patch(
                    versions=str(p.get("versions", "*")),
                    method=p["method"],
                    pointer=p["pointer"],
                    op=p.get("op", "set"),
                    value=p.get("value"),
                    reason=p["reason"],
                )
                for p in data.get("patch", [])
            ]
            self.ranges = [
                IndexRange(
                    family=r["family"],
                    paths=re.compile(r["paths"]),
                    low=int(r["range"][0]),
                    high=int(r["range"][1]),
                    reason=r["reason"],
                )
                for r in data.get("index_range", [])
            ]
            self.not_tasks = {(t["method"], t["reason"]) for t in data.get("not_a_task", [])}
            self.return_fields = [
                ReturnFields(
                    versions=str(r.get("versions", "*")),
                    method=r["method"],
                    pointer=r.get("pointer", "/returns/items"),
                    fields=dict(r["fields"]),
                    reason=r["reason"],
                    evidence=r["evidence"],
                )
                for r in data.get("return_fields", [])
            ]
        except (KeyError, TypeError, IndexError) as exc:
            raise OverrideError(f"malformed overrides entry: missing or bad {exc}") from exc
        for r in self.return_fields:
            _pointer_parts(r.pointer)
            for name, schema in r.fields.items():
                if not isinstance(schema, dict) or "type" not in schema:
                    raise OverrideError(f"return field {name} of {r.method} needs a type")
        for p in self.patches:
            if p.op not in ("set", "remove", "rename"):
                raise OverrideError(f"unknown patch op {p.op!r} for {p.method}")
            _pointer_parts(p.pointer)

    @classmethod
    def from_file(cls, path: Path) -> Overrides:
        raw = path.read_bytes()
        return cls(tomllib.loads(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest())

    def index_range(self, family: str, path: str) -> tuple[int, int] | None:
        for r in self.ranges:
            if r.family == family and r.paths.search(path):
                return (r.low, r.high)
        return None

    def not_a_task(self, verb: str, path: str) -> bool:
        return any(m == f"{verb} {path}" for m, _ in self.not_tasks)

    def patch_method(
        self, version: str, verb: str, path: str, info: dict[str, Any], diag: Diagnostics
    ) -> dict[str, Any]:
        key = f"{verb} {path}"
        todo = [
            (i, p) for i, p in enumerate(self.patches) if p.method == key and fnmatch.fnmatchcase(version, p.versions)
        ]
        extra = [r for r in self.return_fields if r.method == key and fnmatch.fnmatchcase(version, r.versions)]
        if not todo and not extra:
            return info
        info = copy.deepcopy(info)
        for r in extra:
            target: Any = info
            for part in _pointer_parts(r.pointer):
                target = target.get(part) if isinstance(target, dict) else None
            if not isinstance(target, dict):
                diag.add(key, f"return fields at {r.pointer} do not apply")
                continue
            props = target.setdefault("properties", {})
            for name, schema in r.fields.items():
                # the server may declare a field in a later release: its own declaration wins
                props.setdefault(name, {"optional": 1, **copy.deepcopy(schema)})
        for i, p in todo:
            parts = _pointer_parts(p.pointer)
            parent: Any = info
            for part in parts[:-1]:
                if not isinstance(parent, dict) or part not in parent:
                    parent = None
                    break
                parent = parent[part]
            last = parts[-1]
            if not isinstance(parent, dict) or (p.op != "set" and last not in parent):
                diag.add(key, f"override {p.pointer} ({p.op}) does not apply")
                continue
            self.used.add(i)
            if p.op == "set":
                parent[last] = copy.deepcopy(p.value)
            elif p.op == "remove":
                del parent[last]
            else:
                parent[str(p.value)] = parent.pop(last)
        return info
