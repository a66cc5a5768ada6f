"""Over the whole 9.1.3 schema: no GET discards its answer, and untyped answers are typed as JSON."""

from __future__ import annotations

import re
from pathlib import Path

from codegen.generate import load_target
from codegen.ir import build_api

ROOT = Path(__file__).resolve().parents[2]
# a generated method: its return annotation, then the docstring line naming its PVE method
METHOD = re.compile(r"\) -> ([^:]+):\n\s+\"\"\"(?:.|\n)*?``(GET|POST|PUT|DELETE) (\S+)`` \(PVE", re.MULTILINE)


def test_no_get_returns_none_unless_declared_null() -> None:
    schema, sha = load_target()
    api = build_api(schema, sha)
    declared = {f"{v} {n['path']}": m.get("returns") or {} for n in schema["paths"] for v, m in n["methods"].items()}
    gets = [op for op in api.operations if op.verb == "GET"]
    assert len(gets) > 300
    wrong = [op.key for op in gets if op.returns == "None" and declared[op.key].get("type") != "null"]
    assert wrong == []
    untyped = [op for op in gets if not declared[op.key]]
    assert {op.key for op in untyped} >= {"GET /access/domains/{realm}", "GET /cluster/ha/groups/{group}"}
    assert {op.returns for op in untyped} == {"JsonValue"}


def test_generated_files_agree() -> None:
    """The same property read from the generated sources (what users import)."""
    schema, _ = load_target()
    declared = {f"{v} {n['path']}": m.get("returns") or {} for n in schema["paths"] for v, m in n["methods"].items()}
    seen: dict[str, str] = {}
    for path in (ROOT / "pvectl" / "sdk" / "resources").glob("*.py"):
        for ann, verb, pve_path in METHOD.findall(path.read_text()):
            seen[f"{verb} {pve_path}"] = " ".join(ann.split())
    assert set(declared) - set(seen) == {"GET /version"}  # client.version(), written by hand in _client.py
    none_gets = [k for k, ann in seen.items() if k.startswith("GET ") and ann == "None"]
    assert [k for k in none_gets if declared[k].get("type") != "null"] == []
    assert seen["GET /access/domains/{realm}"] == "JsonValue"
