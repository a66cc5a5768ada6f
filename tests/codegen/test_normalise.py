"""Normalisation of raw PVE dumps: booleans, numbers, regexes, families, tasks, overrides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codegen.load import parse_apidata, version_from_name
from codegen.normalise import Diagnostics, normalise_schema, normalise_tree, perl_regex_to_python
from codegen.overrides import OverrideError, Overrides

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = Overrides.from_file(ROOT / "schemas" / "overrides.toml")
SCHEMA = json.loads((ROOT / "schemas" / "pve-9.1.3.json").read_text())


def method(verb: str, path: str) -> dict[str, Any]:
    for node in SCHEMA["paths"]:
        if node["path"] == path:
            result: dict[str, Any] = node["methods"][verb]
            return result
    raise KeyError(path)


def test_perl_regexes_become_python() -> None:
    assert perl_regex_to_python("(?^i:[a-z]+)") == "(?i:[a-z]+)"
    assert perl_regex_to_python("(?^:a|b)") == "(?:a|b)"
    assert perl_regex_to_python("[0-9]{2}") == "[0-9]{2}"


def test_scalars_are_typed() -> None:
    diag = Diagnostics()
    out = normalise_schema(
        {"type": "integer", "optional": "1", "minimum": "0", "maximum": "16777216", "default": "5", "enum": ["1", "2"]},
        "x",
        diag,
    )
    assert out == {"type": "integer", "optional": True, "minimum": 0, "maximum": 16777216, "default": 5, "enum": [1, 2]}
    assert normalise_schema({"type": "boolean", "default": "yes"}, "x", diag)["default"] is True
    assert "enum" not in normalise_schema({"type": "string", "enum": None}, "x", diag)
    assert diag.items == []


def test_unknown_keywords_are_reported_not_fatal() -> None:
    diag = Diagnostics()
    assert normalise_schema({"type": "string", "frobnicate": 1}, "here", diag) == {"type": "string"}
    assert diag.items == ["here: unknown keyword 'frobnicate' ignored"]


def test_placeholder_keys_become_maps() -> None:
    diag = Diagnostics()
    out = normalise_schema({"type": "object", "properties": {"{id}": {"type": "object"}}}, "x", diag)
    assert out == {"type": "object", "additional_properties": {"type": "object"}, "map_key": "id"}


def test_committed_schema_facts() -> None:
    methods = [m for n in SCHEMA["paths"] for m in n["methods"].values()]
    assert len(SCHEMA["paths"]) == 435
    assert len(methods) == 649
    assert sum(1 for m in methods if m.get("task")) == 93  # 99 string-returning writes minus 6 exceptions
    create = method("POST", "/nodes/{node}/qemu")["parameters"]["properties"]
    assert create["net[n]"]["index_range"] == [0, 31]
    assert create["scsi[n]"]["index_range"] == [0, 30]
    assert create["net[n]"]["property_string"]["virtio"] == {"alias": "macaddr", "key_alias": "model"}
    next_id = method("PUT", "/cluster/options")["parameters"]["properties"]["next-id"]["property_string"]
    assert next_id["lower"]["maximum"] == 999999999
    assert "max" not in next_id["lower"]
    assert "task" not in method("POST", "/nodes/{node}/wakeonlan")
    families = [k for m in methods for k, s in m["parameters"]["properties"].items() if k.endswith("[n]")]
    assert len(families) == 51
    assert all("index_range" in s for m in methods for k, s in m["parameters"]["properties"].items() if "[n]" in k)


def test_tree_from_a_small_dump() -> None:
    raw = parse_apidata(
        'const apiSchema = [{"path": "/version", "text": "version", "leaf": 1, "info": {"GET": {'
        '"name": "version", "method": "GET", "description": "v", "allowtoken": 1,'
        '"parameters": {"additionalProperties": 0}, "returns": {"type": "object"}}}}];\n'
    )
    diag = Diagnostics()
    tree = normalise_tree(raw, "9.1.3", OVERRIDES, diag)
    assert tree["paths"][0]["methods"]["GET"]["allowtoken"] is True
    assert tree["paths"][0]["methods"]["GET"]["parameters"] == {"properties": {}, "additional_properties": False}


def test_version_from_file_name() -> None:
    assert version_from_name("x/pve-7.4-2-apidata.js") == "7.4-2"
    assert version_from_name("apidata.js") is None


def test_malformed_overrides_are_refused() -> None:
    with pytest.raises(OverrideError):
        Overrides({"patch": [{"method": "GET /x", "pointer": "no-slash", "reason": "r"}]})
    with pytest.raises(OverrideError):
        Overrides({"index_range": [{"family": "net"}]})


def test_import_reads_a_dump_from_a_url(tmp_path: Path) -> None:
    """A node serves its own dump at /pve-docs/api-viewer/apidata.js; import fetches it like a file."""
    import shutil
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from codegen.importer import import_dumps

    body = (
        b'const apiSchema = [{"path": "/version", "text": "version", "leaf": 1, "info": {"GET": {'
        b'"name": "version", "method": "GET", "description": "v", "allowtoken": 1,'
        b'"parameters": {"additionalProperties": 0}, "returns": {"type": "object"}}}}];\n'
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/pve-docs/api-viewer/apidata.js" else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        schemas = tmp_path / "schemas"
        schemas.mkdir()
        shutil.copyfile(ROOT / "schemas" / "overrides.toml", schemas / "overrides.toml")
        url = f"http://127.0.0.1:{server.server_address[1]}/pve-docs/api-viewer/apidata.js"
        import_dumps([url], version="9.9.9", schemas=schemas)
    finally:
        server.shutdown()
        server.server_close()
    lock = json.loads((schemas / "schema.lock").read_text())
    assert lock["schemas"]["9.9.9"]["source"] == url
    assert json.loads((schemas / "history.json").read_text())["methods"]["GET /version"]["in"] == "1"
