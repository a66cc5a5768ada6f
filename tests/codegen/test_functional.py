"""A small inline schema -> generated into a temporary package -> imported and called."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from codegen.generate import OWNED_DIRS, OWNED_FILES, build_files, check
from codegen.history import encode, surface
from pvectl.sdk import ProxmoxClient, Task, ValidationError
from pvectl.sdk._core.spec import build_spec

ROOT = Path(__file__).resolve().parents[2]
UPID = "UPID:n1:00000001:00000002:00000003:thingmake:7:root@pam:"

MINI: dict[str, Any] = {
    "format": 1,
    "version": "9.1.3",
    "paths": [
        {"path": "/things", "methods": {
            "GET": {"name": "index", "description": "List things.", "parameters": {
                "properties": {"kind": {"type": "string", "enum": ["a", "b"], "optional": True}},
                "additional_properties": False},
                "returns": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "label": {"type": "string", "optional": True}}}}},
            "POST": {"name": "make", "description": "Make a thing.", "task": True, "parameters": {
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "enabled": {"type": "boolean", "optional": True},
                    "port[n]": {"type": "string", "optional": True, "index_range": [0, 3], "property_string": {
                        "speed": {"type": "integer", "default_key": True, "minimum": 1},
                        "duplex": {"type": "boolean", "optional": True}}}},
                "additional_properties": False},
                "returns": {"type": "string"}}}},
        {"path": "/things/{id}", "methods": {
            "GET": {"name": "read", "description": "Read one.", "parameters": {
                "properties": {"id": {"type": "integer"}}, "additional_properties": False},
                "returns": {"type": "object", "properties": {"id": {"type": "integer"}}}},
            "DELETE": {"name": "drop", "description": "Drop one.", "parameters": {
                "properties": {"id": {"type": "integer"}}, "additional_properties": False},
                "returns": {"type": "null"}}}},
        {"path": "/things/{id}/ping", "methods": {
            "POST": {"name": "ping", "description": "Ping.", "parameters": {
                "properties": {"id": {"type": "integer"}}, "additional_properties": False},
                "returns": {"type": "string"}}}},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def minisdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("gen")
    history = encode({"9.1.3": surface(MINI)})
    build_files(root, MINI, history, pkg="minisdk")
    (root / "minisdk" / "__init__.py").write_text("")
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m.startswith("minisdk")]:
        del sys.modules[name]


def test_generated_package_is_importable_and_callable(minisdk: Path) -> None:
    spec = build_spec(json.loads((minisdk / "minisdk" / "_apispec.json").read_text()))
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.method == "GET" and request.url.path.endswith("/things"):
            return httpx.Response(200, json={"data": [{"id": "3", "label": "x", "more": 1}]})
        if request.url.path.endswith("/things/3"):
            return httpx.Response(200, json={"data": {"id": 3} if request.method == "GET" else None})
        return httpx.Response(200, json={"data": UPID})

    module = importlib.import_module("minisdk.resources.things")
    formats = importlib.import_module("minisdk.models.formats")
    client = ProxmoxClient(
        "n1", token="u@pam!t=s", spec=spec, check_version=False, transport=httpx.MockTransport(handler)
    )
    things = module.Things(client)
    (listed,) = things.list(kind="a")
    assert (listed.id_, listed.label) == (3, "x")
    task = things.create(id=7, enabled=True, port={0: formats.PortFormat(speed=10, duplex=False)}, port2="100")
    assert isinstance(task, Task)
    assert parse_qsl(sent[-1].content.decode()) == [
        ("id", "7"),
        ("enabled", "1"),
        ("port0", "10,duplex=0"),
        ("port2", "100"),
    ]
    assert things(3).get().id_ == 3
    assert things(3).delete() is None
    assert things(3).ping() == UPID
    with pytest.raises(ValidationError) as info:
        things.create(id=0, port={9: "1"})
    assert set(info.value.errors) == {"id", "port9"}


def test_check_detects_a_hand_edit(tmp_path: Path) -> None:
    for rel in OWNED_DIRS:
        if (ROOT / rel).exists():
            import shutil

            shutil.copytree(ROOT / rel, tmp_path / rel, ignore=shutil.ignore_patterns("__pycache__"))
    for rel in OWNED_FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes((ROOT / rel).read_bytes())
    assert check(tmp_path) == []
    edited = tmp_path / "pvectl/sdk/resources/nodes_qemu.py"
    edited.write_text(edited.read_text().replace("def list(", "def listing(", 1))
    (tmp_path / "pvectl/sdk/models/stray.py").write_text("x = 1\n")
    problems = check(tmp_path)
    assert any("nodes_qemu.py differs" in p for p in problems)
    assert any("stray.py" in p for p in problems)
