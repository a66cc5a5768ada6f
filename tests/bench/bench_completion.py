"""Completion cost at 10,000 VMs vs 10 VMs, from the second TAB on (issue #13: ratio <= 1.5), in one run.

Run: python -m tests.bench.bench_completion [runs] [big]

Two simulated worlds (``pvectl sim reset --seed``, VMs without disks so seeding stays cheap), each with its own
state and cache directory. The first TAB of each world fills the cache (a generous budget, so it is the real
lookup; its time is printed for information); then the cached TABs are measured interleaved, for the curated
``vm start`` (ids and names) and the generated ``--vmid`` option. ``PVECTL_COMPLETION_TTL`` keeps the cache
fresh for the whole run so no refresh process competes with the measurement.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PVECTL = str(Path(sys.executable).parent / "pvectl")  # the installed entry point: the shell runs it by this name
LINES = {
    "vm start <TAB>": "pvectl --sim vm start ",
    "vm start 1<TAB>": "pvectl --sim vm start 1",
    "api … --vmid <TAB>": "pvectl --sim api nodes qemu status start --node pve1 --vmid ",
}


def seed(count: int) -> dict[str, object]:
    vms = [
        {"vmid": 100 + i, "node": f"pve{1 + i % 2}", "name": f"vm{i}", "status": "running" if i % 3 else "stopped",
         "tags": "bench", "config": {"memory": 2048, "cores": 2}}
        for i in range(count)
    ]  # fmt: skip
    return {"vms": vms}


def make_world(base: Path, count: int) -> dict[str, str]:
    state, cache = base / f"sim{count}", base / f"cache{count}"
    seed_file = base / f"seed{count}.json"
    seed_file.write_text(json.dumps(seed(count)))
    env = {**os.environ, "PVECTL_SIM_STATE_DIR": str(state), "XDG_CACHE_HOME": str(cache),
           "XDG_CONFIG_HOME": str(base / "config"), "PVECTL_COMPLETION_TTL": "86400"}  # fmt: skip
    env.pop("PVECTL_HOST", None)
    started = time.perf_counter()
    subprocess.run([PVECTL, "sim", "reset", "--seed", str(seed_file)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    print(f"seed {count:>6} VMs: {time.perf_counter() - started:6.2f} s")
    return env


def tab(env: dict[str, str], line: str, budget: str = "0.5") -> tuple[float, int]:
    words = line.split()
    protocol = {"_PVECTL_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_LINE": line,
                "COMP_POINT": str(len(line)), "COMP_CWORD": str(len(words) if line.endswith(" ") else len(words) - 1),
                "PVECTL_COMPLETION_TIMEOUT": budget}  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run([PVECTL], env={**env, **protocol}, capture_output=True, text=True,
                          cwd=ROOT, check=False)  # fmt: skip
    elapsed = time.perf_counter() - started
    if proc.stderr:
        raise RuntimeError(proc.stderr)
    return elapsed, len(proc.stdout.split())


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    big = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        worlds = {10: make_world(Path(tmp), 10), big: make_world(Path(tmp), big)}
        for count, env in worlds.items():
            for name, line in LINES.items():
                seconds, values = tab(env, line, budget="300")
                print(f"first TAB {name:<22} {count:>6} VMs: {seconds * 1000:7.0f} ms, {values} values")
        times: dict[tuple[int, str], list[float]] = {(c, n): [] for c in worlds for n in LINES}
        for _ in range(runs):
            for count, env in worlds.items():
                for name, line in LINES.items():
                    times[(count, name)].append(tab(env, line)[0])
        print()
        for name in LINES:
            small, large = statistics.median(times[(10, name)]), statistics.median(times[(big, name)])
            verdict = "ok" if large / small <= 1.5 else "OVER 1.5x"
            print(f"cached TAB {name:<22} 10 VMs {small * 1000:6.0f} ms, {big} VMs {large * 1000:6.0f} ms: "
                  f"{large / small:.2f}x ({verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
