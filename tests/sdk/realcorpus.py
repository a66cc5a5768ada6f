"""The corpus of real PVE answers in tests/sdk/realdata/: loading, calling the typed SDK, judging the result.

Each file holds one answer recorded by another project (or published by Proxmox) with its provenance and
PVE release: ``{"provenance": ..., "release": ..., "method": "GET", "path": ..., "answer": ...}``.
Shared by tests/sdk/test_realdata.py and tests/bench/bench_realdata.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import BaseModel

from codegen.naming import attr_ident
from pvectl.sdk import ProxmoxClient
from pvectl.sdk._core.models import PropertyString, ResponseModel
from pvectl.sdk._core.spec import load_spec

REALDATA = Path(__file__).resolve().parent / "realdata"


@dataclass(frozen=True)
class Answer:
    file: Path
    release: str
    template: str  # /nodes/{node}/qemu
    path_values: tuple[str, ...]
    query: dict[str, str]
    answer: Any

    @property
    def major(self) -> str | None:
        m = re.match(r"(\d+)", self.release)
        return m.group(1) if m else None


def entries() -> list[Path]:
    return sorted(REALDATA.rglob("*.json"))


def _match(concrete: list[str], template: str) -> tuple[str, ...] | None:
    parts = template.strip("/").split("/")
    if len(parts) != len(concrete):
        return None
    values: list[str] = []
    for want, got in zip(parts, concrete, strict=True):
        if want.startswith("{"):
            values.append(unquote(got))
        elif want != got:
            return None
    return tuple(values)


def load(file: Path) -> Answer:
    doc = json.loads(file.read_text())
    assert doc["method"] == "GET" and doc["provenance"] and doc["release"], file
    url = urlsplit(doc["path"])
    concrete = url.path.strip("/").split("/")
    best: tuple[int, str, tuple[str, ...]] | None = None
    for template in load_spec().paths:
        values = _match(concrete, template)
        if values is not None and (best is None or len(values) < best[0]):
            best = (len(values), template, values)
    assert best is not None, f"{file.name}: no schema path for {doc['path']}"
    return Answer(file, str(doc["release"]), best[1], best[2], dict(parse_qsl(url.query)), doc["answer"])


def typed_get(client: ProxmoxClient, answer: Answer) -> Callable[..., Any]:
    """The generated method for ``GET template``, reached the way a user would (``client.nodes("n").qemu``)."""
    if answer.template == "/version":
        return client.version  # written by hand in the client, not generated
    obj: Any = client
    values = iter(answer.path_values)
    for segment in answer.template.strip("/").split("/"):
        obj = obj(next(values)) if segment.startswith("{") else getattr(obj, attr_ident(segment))
    marker = f"``GET {answer.template}``"
    if callable(obj) and marker in (obj.__doc__ or ""):
        return obj  # type: ignore[no-any-return]
    for name in dir(type(obj)):
        attr = getattr(type(obj), name, None)
        if callable(attr) and not name.startswith("_") and marker in (attr.__doc__ or ""):
            return getattr(obj, name)  # type: ignore[no-any-return]
    raise AssertionError(f"no generated method for GET {answer.template}")


def _field(model: BaseModel, key: str) -> tuple[bool, Any]:
    extra = model.model_extra or {}
    if key in extra:
        return True, extra[key]
    for name, info in type(model).model_fields.items():
        if (info.alias or name) == key:
            return name in model.model_fields_set, getattr(model, name)
    return False, None


def lost(sent: Any, got: Any, where: str = "") -> list[str]:
    """Places where something PVE sent is missing from what the SDK returned."""
    if sent is None:
        return []
    if isinstance(got, PropertyString):
        return [] if isinstance(sent, (str, int, float)) else [f"{where}: {sent!r} became {got!r}"]
    if isinstance(got, BaseModel):
        if isinstance(sent, list) and not sent:
            return []
        if isinstance(sent, str):  # an object PVE sent as `k=v,...`
            return [] if got.model_fields_set or got.model_extra else [f"{where}: {sent!r} lost"]
        if not isinstance(sent, Mapping):
            return [f"{where}: {sent!r} became a model"]
        out: list[str] = []
        for key, value in sent.items():
            present, field = _field(got, key)
            if not present:
                out.append(f"{where}.{key}: missing")
            else:
                out += lost(value, field, f"{where}.{key}")
        return out
    if isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            return [f"{where}: list of {len(sent)} became {got!r:.60}"]
        return [p for i, (s, g) in enumerate(zip(sent, got, strict=True)) for p in lost(s, g, f"{where}[{i}]")]
    if isinstance(sent, Mapping):
        if not isinstance(got, Mapping) or set(got) != set(sent):
            return [f"{where}: keys changed"]
        return [p for k in sent for p in lost(sent[k], got[k], f"{where}.{k}")]
    return [] if got is not None else [f"{where}: {sent!r} became None"]


def kind(got: Any) -> str:
    """typed | typed-with-extras | json: how the SDK typed one answer."""
    models: list[BaseModel] = []

    def walk(value: Any) -> None:
        if isinstance(value, ResponseModel):
            models.append(value)
            for name in value.model_fields_set:
                walk(getattr(value, name))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(got)
    if not models:
        return "json"
    return "typed-with-extras" if any(m.model_extra for m in models) else "typed"
