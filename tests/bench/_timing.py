"""Shared helpers for the benchmark scripts: run commands interleaved, report medians and ratios."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping


def installed_env() -> dict[str, str]:
    """An environment where imports use cached bytecode, as for an installed package.

    ``PYTHONDONTWRITEBYTECODE`` (set in some CI and sandbox shells) would make every fresh interpreter
    recompile the generated modules, which no installed copy of pvectl ever does; the cache goes to a
    temporary prefix so the source tree stays clean.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="pvectl-bench-pyc-")
    return env


def run_once(code: str, env: Mapping[str, str] | None = None) -> float:
    """Wall seconds of ``python -c code`` in a fresh interpreter (peak memory: see bench_cli's VmHWM)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def compare(
    label: str,
    candidate: str,
    baseline: str,
    runs: int = 15,
    target: float | None = None,
    env: Mapping[str, str] | None = None,
) -> float:
    """Interleave both snippets ``runs`` times (so machine noise hits both), print medians and the ratio."""
    run_once(candidate, env)
    run_once(baseline, env)  # warm the file cache (and the bytecode cache, with installed_env())
    cand: list[float] = []
    base: list[float] = []
    for _ in range(runs):
        cand.append(run_once(candidate, env))
        base.append(run_once(baseline, env))
    ratio = statistics.median(cand) / statistics.median(base)
    verdict = "" if target is None else ("  ok" if ratio <= target else f"  OVER target {target}x")
    print(
        f"{label}: {statistics.median(cand) * 1000:.0f} ms vs {statistics.median(base) * 1000:.0f} ms"
        f" -> {ratio:.2f}x{verdict}"
    )
    return ratio
