"""Shared helpers for the benchmark scripts: run commands interleaved, report medians and ratios."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def run_once(code: str) -> float:
    """Wall seconds of ``python -c code`` in a fresh interpreter (peak memory: see bench_cli's VmHWM)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def compare(label: str, candidate: str, baseline: str, runs: int = 15, target: float | None = None) -> float:
    """Interleave both snippets ``runs`` times (so machine noise hits both), print medians and the ratio."""
    run_once(candidate)
    run_once(baseline)  # warm the file cache
    cand: list[float] = []
    base: list[float] = []
    for _ in range(runs):
        cand.append(run_once(candidate))
        base.append(run_once(baseline))
    ratio = statistics.median(cand) / statistics.median(base)
    verdict = "" if target is None else ("  ok" if ratio <= target else f"  OVER target {target}x")
    print(
        f"{label}: {statistics.median(cand) * 1000:.0f} ms vs {statistics.median(base) * 1000:.0f} ms"
        f" -> {ratio:.2f}x{verdict}"
    )
    return ratio
