"""Full regeneration time of ``python -m codegen`` (into a temporary tree; target < 20 s).

Run: python -m tests.bench.bench_codegen
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from codegen.generate import build_files


def main() -> None:
    timings = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            files = build_files(Path(tmp))
            timings.append(time.perf_counter() - start)
    best = min(timings)
    verdict = "  ok" if best < 20 else "  OVER target"
    print(f"python -m codegen: {len(files)} files in {best:.1f} s (best of 3; target < 20 s){verdict}")


if __name__ == "__main__":
    main()
