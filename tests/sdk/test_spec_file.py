"""The generated spec file is one JSON document that the runtime reads one operation at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pvectl.sdk
from pvectl.sdk._core.spec import load_spec, parse_spec_text

SPEC = Path(pvectl.sdk.__file__).parent / "_apispec.json"


def test_lazy_reading_equals_a_full_parse() -> None:
    text = SPEC.read_text()
    full, lazy = json.loads(text), parse_spec_text(text)
    assert (lazy["version"], lazy["paths"]) == (full["version"], full["paths"])
    assert list(lazy["ops"]) == list(full["ops"]) and len(full["ops"]) == 649
    assert all(lazy["ops"][k] == full["ops"][k] for k in full["ops"])
    assert all(lazy["formats"][k] == full["formats"][k] for k in full["formats"])


def test_other_layouts_are_parsed_whole() -> None:
    data = {"version": "9.1.3", "paths": ["/a"], "formats": {}, "ops": {"GET /a": {"name": "a"}}}
    assert parse_spec_text(json.dumps(data)) == data


def test_load_spec_builds_operations() -> None:
    op = load_spec().op("POST /nodes/{node}/qemu")
    assert op.task and op.params["memory"]["property_string"]["current"]["type"] == "integer"
