"""Render the IR into the directories and files the generator owns, formatted with ruff."""

from __future__ import annotations

import filecmp
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from codegen import TARGET_VERSION
from codegen.importer import SCHEMAS, schema_file
from codegen.ir import Api, Module, build_api, format_module

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates"

# Everything below is rewritten by every run; nothing hand-written may live inside.
OWNED_DIRS = ("pvectl/sdk/resources", "pvectl/sdk/models", "pvectl/cli/api")
OWNED_FILES = (
    "pvectl/sdk/_versions.py",
    "pvectl/sdk/_apispec.json",
    "completions/pvectl.bash",
    "completions/_pvectl",
    "completions/pvectl.fish",
)


def _docstr(text: str) -> str:
    out = str(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return out[:-1] + '\\"' if out.endswith('"') else out


def _asyncify(annotation: str, is_async: bool) -> str:
    return re.sub(r"\bTask\b", "AsyncTask", annotation) if is_async else annotation


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 -- Python source, not HTML
    )
    env.filters["docstr"] = _docstr
    env.filters["asyncify"] = _asyncify
    env.globals["format_module"] = format_module
    return env


def load_target() -> tuple[dict[str, Any], str]:
    raw = schema_file(TARGET_VERSION).read_bytes()
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


def _foreign(module: Module) -> list[tuple[str, list[str]]]:
    wanted: dict[str, set[str]] = {}
    for r in module.resources:
        for c in r.children:
            if c.module != module.name:
                wanted.setdefault(c.module, set()).update({c.cls, f"Async{c.cls}"})
    return [(m, sorted(classes)) for m, classes in sorted(wanted.items())]


def render(
    api: Api,
    history: dict[str, Any],
    *,
    pkg: str = "pvectl.sdk",
    since: dict[str, str] | None = None,
    spec_version: str | None = None,
) -> dict[str, str]:
    """Every generated file, by path relative to the project root (unformatted).

    ``pkg`` is the package that receives ``resources/`` and ``models/`` (tests generate small schemas elsewhere).
    ``since``: features pinned to the release that added them; ``spec_version``: the release the target schema
    describes, as ``GET /version`` names it (default: the schema's own label).
    """
    env = environment()
    base = pkg.replace(".", "/")
    common = {"version": api.version, "sha": api.schema_sha, "pkg": pkg}
    files: dict[str, str] = {}
    res_t = env.get_template("sdk_resource.py.jinja")
    models_t = env.get_template("sdk_models.py.jinja")
    header = env.get_template("_header.jinja").render(**common)
    for module in api.modules:
        files[f"{base}/resources/{module.name}.py"] = res_t.render(module=module, foreign=_foreign(module), **common)
        if module.models:
            files[f"{base}/models/{module.name}.py"] = models_t.render(
                models=module.models,
                base="ResponseModel",
                doc=f"Response models of {module.name}.",
                model_formats=module.model_formats,
                overload_formats=module.overload_formats,
                **common,
            )
    # one module per property-string model: a response with `memory` must not build all 40-odd of them
    specs = {k: repr(v) for k, v in api.runtime_spec["formats"].items()}
    for fmt in api.formats:
        files[f"{base}/models/formats/{format_module(fmt.name)}.py"] = models_t.render(
            models=[fmt],
            base="PropertyString",
            doc=f"Property-string model {fmt.name} (PVE `key=value,...` values).",
            formats=specs,
            model_formats=(),
            overload_formats=(),
            **common,
        )
    files[f"{base}/models/formats/__init__.py"] = env.get_template("formats_init.py.jinja").render(
        modules=[(fmt.name, format_module(fmt.name)) for fmt in api.formats], **common
    )
    package_doc = '"""Generated package; modules load on first use."""\n'
    files[f"{base}/resources/__init__.py"] = header + package_doc
    files[f"{base}/models/__init__.py"] = header + package_doc
    files[f"{base}/_apispec.json"] = spec_json({**api.runtime_spec, "version": spec_version or api.version})
    versions = history["versions"]
    table = [
        (key, entry["in"], repr(dict(sorted(entry["params"].items()))))
        for key, entry in sorted(history["methods"].items())
    ]
    files[f"{base}/_versions.py"] = env.get_template("versions.py.jinja").render(
        releases=repr(tuple(versions)), table=table, since=sorted((since or {}).items()), **common
    )
    return files


def spec_json(spec: Mapping[str, Any]) -> str:
    """The runtime spec as JSON with one format and one operation per line.

    Still one JSON document, but pvectl.sdk._core.spec can index the lines and parse only the operations a
    program calls: parsing all of it costs a first call more than the rest of the request does.
    """

    def block(name: str, items: Mapping[str, Any]) -> str:
        lines = [
            f"{json.dumps(k)}:{json.dumps(v, sort_keys=True, separators=(',', ':'))}" for k, v in sorted(items.items())
        ]
        return f'"{name}":{{\n' + ",\n".join(lines) + "\n}"

    head = {k: v for k, v in spec.items() if k not in ("formats", "ops")}
    return (
        json.dumps(head, sort_keys=True, separators=(",", ":"))[:-1]
        + ",\n"
        + block("formats", spec["formats"])
        + ",\n"
        + block("ops", spec["ops"])
        + "}\n"
    )


def _write_tree(files: dict[str, str], root: Path) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def format_tree(root: Path) -> None:
    """ruff (imports, then format) over everything rendered into ``root``."""
    config = ["--config", str(ROOT / "pyproject.toml")]
    for args in (["check", "--fix-only", "--quiet", "--select", "I,F401,UP"], ["format", "--quiet"]):
        subprocess.run([sys.executable, "-m", "ruff", *args, *config, str(root)], check=True, cwd=root)


def build_files(
    staging: Path,
    schema: dict[str, Any] | None = None,
    history: dict[str, Any] | None = None,
    *,
    pkg: str = "pvectl.sdk",
) -> list[str]:
    """Render and format everything into ``staging``; returns the relative paths written."""
    if schema is None:
        schema, sha = load_target()
    else:
        sha = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
    api = build_api(schema, sha)
    since: dict[str, str] = {}
    spec_version = None
    if history is None:
        from codegen import releases

        # the dumps are labelled in pve-docs versions; the table speaks pve-manager's (what GET /version says)
        dumps, since = releases.load()
        history = releases.relabel(json.loads((SCHEMAS / "history.json").read_text()), dumps)
        history["since"] = since  # the CLI help names pinned releases
        problems = releases.check_pins(history, since)
        if problems:
            raise ValueError("schemas/releases.toml: " + "; ".join(problems))
        spec_version = dumps.get(api.version, api.version)
    files = render(api, history, pkg=pkg, since=since, spec_version=spec_version)
    if pkg == "pvectl.sdk":  # the CLI tree and completion scripts belong to the real package only
        from codegen.render_cli import render_cli

        files.update(render_cli(environment(), api, schema, history))
    _write_tree(files, staging)
    format_tree(staging)
    return sorted(files)


def generate(root: Path = ROOT) -> int:
    with tempfile.TemporaryDirectory(prefix="pvectl-codegen-") as tmp:
        staging = Path(tmp)
        written = build_files(staging)
        for d in OWNED_DIRS:
            shutil.rmtree(root / d, ignore_errors=True)
            shutil.copytree(staging / d, root / d)
        for f in OWNED_FILES:
            (root / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staging / f, root / f)
    return len(written)


def _tree(root: Path, rel: str) -> set[str]:
    base = root / rel
    if not base.exists():
        return set()
    return {str(p.relative_to(root)) for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def check(root: Path = ROOT) -> list[str]:
    """Differences between a fresh generation and the files in ``root``."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pvectl-codegen-") as tmp:
        staging = Path(tmp)
        build_files(staging)
        expected: set[str] = set(OWNED_FILES)
        actual: set[str] = set()
        for d in OWNED_DIRS:
            expected |= _tree(staging, d)
            actual |= _tree(root, d)
        actual |= {f for f in OWNED_FILES if (root / f).exists()}
        for rel in sorted(expected - actual):
            problems.append(f"missing generated file {rel}")
        for rel in sorted(actual - expected):
            problems.append(f"unexpected file in a generated directory: {rel}")
        for rel in sorted(expected & actual):
            if not filecmp.cmp(staging / rel, root / rel, shallow=False):
                problems.append(f"{rel} differs from a fresh generation (edited by hand?)")
    return problems
