"""Shared helpers for the benchmark scripts: run commands interleaved, report medians and ratios."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time


def run_once(code: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of ``python -c code`` in a fresh interpreter."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before)


def compare(label: str, candidate: str, baseline: str, runs: int = 15, target: float | None = None) -> float:
    """Interleave both snippets ``runs`` times (so machine noise hits both), print medians and the ratio."""
    run_once(candidate)
    run_once(baseline)  # warm the file cache
    cand: list[float] = []
    base: list[float] = []
    for _ in range(runs):
        cand.append(run_once(candidate)[0])
        base.append(run_once(baseline)[0])
    ratio = statistics.median(cand) / statistics.median(base)
    verdict = "" if target is None else ("  ok" if ratio <= target else f"  OVER target {target}x")
    print(
        f"{label}: {statistics.median(cand) * 1000:.0f} ms vs {statistics.median(base) * 1000:.0f} ms"
        f" -> {ratio:.2f}x{verdict}"
    )
    return ratio
