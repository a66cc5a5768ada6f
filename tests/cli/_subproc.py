"""Run pvectl in a fresh interpreter and report what it printed and which modules it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import tests.support.run as support

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, sys
sys.argv = json.loads(os.environ["PVECTL_TEST_ARGV"])
try:
    from pvectl.__main__ import main
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
finally:
    with open(os.environ["PVECTL_TEST_MODULES"], "w") as f:
        json.dump(sorted(sys.modules), f)
sys.exit(code)
"""


@dataclass
class Run(support.Run):
    modules: list[str]
    seconds: float


def pvectl(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> Run:
    """``pvectl ARGS`` in a subprocess (``env`` adds variables, e.g. the completion protocol's)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "modules.json"
        full = {
            **os.environ,
            "PVECTL_TEST_ARGV": json.dumps(["pvectl", *args]),
            "PVECTL_TEST_MODULES": str(out),
            "XDG_CACHE_HOME": str(Path(tmp) / "cache"),
            "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
            **(env or {}),
        }
        for name in ("PVECTL_HOST", "PVECTL_TOKEN", "PVECTL_CONTEXT", "PVECTL_OUTPUT", "PVECTL_SIM"):
            if name not in (env or {}):
                full.pop(name, None)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", PROBE], env=full, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
        seconds = time.perf_counter() - started
        modules = json.loads(out.read_text()) if out.exists() else []
    return Run(proc.returncode, proc.stdout, proc.stderr, modules, seconds)


def in_process(env: dict[str, str]) -> Run:
    """What :func:`pvectl` with ``env`` and no arguments prints, run in this process: the completion protocol,
    where the values are the point and not the process (about 30x less CPU). Like :func:`pvectl`, each run gets
    fresh cache and config directories unless ``env`` names them, and drops the connection variables it does
    not give; ``modules`` stays empty (import hygiene needs a fresh interpreter: ``process=True``)."""
    from typer.testing import CliRunner

    from pvectl.cli.app import app

    with tempfile.TemporaryDirectory() as tmp:
        full: dict[str, str | None] = {
            "XDG_CACHE_HOME": str(Path(tmp) / "cache"),
            "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
            **dict.fromkeys(("PVECTL_HOST", "PVECTL_TOKEN", "PVECTL_CONTEXT", "PVECTL_OUTPUT", "PVECTL_SIM")),
            **env,
        }
        started = time.perf_counter()
        result = CliRunner().invoke(app, [], prog_name="pvectl", env=full)
        seconds = time.perf_counter() - started
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr, [], seconds)


def _complete(env: dict[str, str], process: bool) -> Run:
    return pvectl(env=env) if process else in_process(env)


def bash_complete(line: str, env: dict[str, str] | None = None, *, process: bool = False) -> Run:
    """Typer's bash protocol: COMP_WORDS and COMP_CWORD (the cursor at the end of ``line``); in this process
    unless ``process`` (a fresh interpreter, for what it imports or how long it takes)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    protocol = {"_PVECTL_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(cword)}
    return _complete({**protocol, "COMP_LINE": line, "COMP_POINT": str(len(line)), **(env or {})}, process)


def zsh_complete(line: str, env: dict[str, str] | None = None, *, process: bool = False) -> Run:
    return _complete({"_PVECTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line, **(env or {})}, process)


def fish_complete(line: str, env: dict[str, str] | None = None, *, process: bool = False) -> Run:
    protocol = {
        "_PVECTL_COMPLETE": "complete_fish",
        "_TYPER_COMPLETE_ARGS": line,
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
    }
    return _complete({**protocol, **(env or {})}, process)
