"""Benchmarks of issue 11 (truthful outcomes), ratios measured in one run on this machine.

Run: python -m tests.bench.bench_outcomes [runs]

1. ``pvectl --sim vm create``: wall time / CPU time of the process (goal <= 1.5: waiting for the create task
   no longer idles -- polling starts at 0.1 s instead of a fixed 0.5 s). On a shared machine other processes
   stretch wall time too, so the same ratio of a process that never waits (a busy loop of about the same CPU
   time) is measured alongside, interleaved, as the baseline; "normalised" divides by it.
2. 50 concurrent ``vm create`` with automatic ids against ``pvectl sim serve``: how many succeed (must be 50)
   and the wall time against 50 sequential ones.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.faults.concurrent import base_env, run_many, sim_serve


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


BUSY = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass"


def measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    cpu, wall = cpu_of_children(), time.monotonic()
    subprocess.run(args, env=env, capture_output=True, check=True)
    return time.monotonic() - wall, cpu_of_children() - cpu


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def bench_create(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = base_env(Path(tmp))
        args = [sys.executable, "-m", "pvectl", "--sim", "vm", "create", "--node", "pve1"]
        subprocess.run(args, env=env, capture_output=True, check=True)  # the simulator's certificate, once
        ratios, baseline = [], []
        for _ in range(runs):
            wall, cpu = measured(args, env)
            ratios.append(wall / cpu)
            busy_wall, busy_cpu = measured([sys.executable, "-c", BUSY.format(seconds=round(cpu, 2))])
            baseline.append(busy_wall / busy_cpu)
            print(f"  vm create --sim: wall {wall:.2f}s cpu {cpu:.2f}s ratio {wall / cpu:.2f}")
            print(f"  busy loop:       wall {busy_wall:.2f}s cpu {busy_cpu:.2f}s ratio {busy_wall / busy_cpu:.2f}")
        ratio, base = median(ratios), median(baseline)
        print(f"pvectl --sim vm create: wall/CPU median {ratio:.2f}; busy-loop baseline {base:.2f}")
        print(f"pvectl --sim vm create: normalised wall/CPU {ratio / base:.2f} (goal <= 1.5)")


def bench_concurrent(count: int = 50) -> None:
    with tempfile.TemporaryDirectory() as tmp, sim_serve(Path(tmp)) as served:
        together, wall_together = run_many(served.env, count, at_once=True)
        ok = sum(1 for r in together if r.code == 0)
        ids = {json.loads(r.stdout)["vmid"] for r in together if r.code == 0}
        one_by_one, wall_sequential = run_many(served.env, count, at_once=False)
        ok_sequential = sum(1 for r in one_by_one if r.code == 0)
    print(f"{count} concurrent creates: {ok} succeeded, {len(ids)} distinct ids, wall {wall_together:.1f}s")
    print(f"{count} sequential creates: {ok_sequential} succeeded, wall {wall_sequential:.1f}s")
    print(f"concurrent / sequential wall: {wall_together / wall_sequential:.2f}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    bench_create(runs)
    bench_concurrent()


if __name__ == "__main__":
    main()
