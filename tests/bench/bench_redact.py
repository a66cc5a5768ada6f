"""Secret masking is linear: hostile texts (no separators, repeated prefixes) at 1 MB and 4 MB, and the -vv trace of
a 2.5 MB /cluster/resources answer, in one run.

Run: python -m tests.bench.bench_redact [runs]

Prints per text the CPU milliseconds at both sizes and their ratio (linear: about 4; the former patterns were
quadratic: a 50 KB run took 7 s). Issue #27's target: every ratio under 6, the 2.5 MB trace under 0.5 s.
"""

from __future__ import annotations

import statistics
import sys
import time

import orjson

from pvectl.sdk._core.redact import format_response, redact
from tests.auth.test_redaction_hostile import HOSTILE

MB = 1024 * 1024


def cpu_ms(text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        redact(text)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def main(runs: int = 3) -> None:
    for name, make in HOSTILE.items():
        small, large = cpu_ms(make(MB), runs), cpu_ms(make(4 * MB), runs)
        print(f"{name:32} 1 MB {small:7.1f} ms   4 MB {large:7.1f} ms   ratio {large / small:4.1f}")
    rows = [
        {"vmid": 100 + i, "name": f"vm{i}", "node": "pve1", "status": "running", "maxmem": 2**32, "tags": "a;b",
         "description": "x" * 200}
        for i in range(6000)
    ]  # fmt: skip
    body = orjson.dumps({"data": rows})
    start = time.process_time()
    format_response(200, "OK", [], body)
    print(f"-vv trace of a {len(body) / MB:.1f} MB answer: {time.process_time() - start:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
