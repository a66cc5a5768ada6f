"""Golden record: a 16-method slice of the real 9.1.3 schema, generated, compared, and type-checked.

Regenerate after an intended change: ``PVECTL_UPDATE_GOLDEN=1 pytest tests/codegen/test_golden.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codegen.generate import build_files
from codegen.history import encode, surface

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"

SLICE = {
    ("GET", "/version"),
    ("GET", "/nodes"),
    ("GET", "/nodes/{node}"),
    ("GET", "/nodes/{node}/qemu"),
    ("POST", "/nodes/{node}/qemu"),
    ("GET", "/nodes/{node}/qemu/{vmid}"),
    ("DELETE", "/nodes/{node}/qemu/{vmid}"),
    ("GET", "/nodes/{node}/qemu/{vmid}/config"),
    ("POST", "/nodes/{node}/qemu/{vmid}/config"),
    ("PUT", "/nodes/{node}/qemu/{vmid}/config"),
    ("GET", "/nodes/{node}/qemu/{vmid}/status"),
    ("GET", "/nodes/{node}/qemu/{vmid}/status/current"),
    ("POST", "/nodes/{node}/qemu/{vmid}/status/start"),
    ("GET", "/cluster/nextid"),
    ("GET", "/cluster/resources"),
    ("GET", "/nodes/{node}/tasks/{upid}/status"),
}


def slice_schema() -> dict[str, Any]:
    full = json.loads((ROOT / "schemas" / "pve-9.1.3.json").read_text())
    keep_paths = {p for _, path in SLICE for p in _ancestors(path)}
    paths = []
    for node in full["paths"]:
        if node["path"] in keep_paths:
            methods = {v: m for v, m in node["methods"].items() if (v, node["path"]) in SLICE}
            paths.append({"path": node["path"], "methods": methods})
    return {**full, "paths": paths}


def _ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def render(target: Path) -> list[str]:
    schema = slice_schema()
    return build_files(target, schema, encode({"9.1.3": surface(schema)}), pkg="golden_sdk")


def test_slice_has_sixteen_methods() -> None:
    schema = slice_schema()
    assert sum(len(n["methods"]) for n in schema["paths"]) == len(SLICE) == 16


def test_output_matches_golden_record(tmp_path: Path) -> None:
    files = render(tmp_path)
    if os.environ.get("PVECTL_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel in files:
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp_path / rel, GOLDEN / rel)
        (GOLDEN / "golden_sdk" / "__init__.py").write_text('"""Golden record package."""\n')
    for rel in files:
        assert (GOLDEN / rel).read_text() == (tmp_path / rel).read_text(), f"{rel} differs from the golden record"
    committed = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert committed - {"golden_sdk/__init__.py"} == set(files)


@pytest.mark.slow
def test_golden_record_passes_mypy_strict() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            os.devnull,
            "--cache-dir",
            os.devnull,
            "-p",
            "golden_sdk",
        ],
        cwd=GOLDEN,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
