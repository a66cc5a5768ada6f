"""Benchmark of issue 16: `vm clone TEMPLATE NEW --start --wait ip` against the simulator, in fresh processes.

Run: python -m tests.bench.bench_clone [runs] [task_seconds]

The simulator makes the clone and the start task last ``task_seconds`` each, and its guest agent reports an
address ``IP_SECONDS`` after the start (pvectl.sim.handlers.agent). Those delays are the floor no client can beat.
What the client adds on top is its start-up and requests -- measured interleaved as ``vm show TEMPLATE`` in the
same kind of fresh process -- and the overshoot of polling: task waits poll at 0.1 s, growing 1.5x up to 2 s
(pvectl.sdk._core.task), guest waits double up to 2 s (pvectl.vm.guest), so a wait of d seconds ends at the first
poll at or after d.

Printed: the median wall time, the baseline, and ``(wall - baseline) / floor``; it includes the CPU of every
request on a shared machine. The same command is then run in-process with the simulator and the client on one
simulated clock, where requests take no time: its elapsed simulated time over the floor is exactly the waiting
the client did. Both stay at or below the "backoff bound" (what the poll schedule alone allows) when nothing idles
beyond the backoff.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pvectl.sdk._core.task import BACKOFF, FIRST_POLL, MAX_POLL
from pvectl.sim.handlers.agent import IP_SECONDS
from tests.faults.concurrent import base_env

PVECTL = [sys.executable, "-m", "pvectl", "--sim"]


def first_poll_at_or_after(seconds: float, factor: float) -> float:
    """When a wait that polls after FIRST_POLL, the interval growing by ``factor`` up to MAX_POLL, first sees a
    condition due after ``seconds``."""
    at, step = 0.0, FIRST_POLL
    while True:
        at += step
        if at >= seconds:
            return at
        step = min(step * factor, MAX_POLL)


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(args, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(args[3:])} failed ({run.returncode}): {run.stderr.strip()[-500:]}")
    return seconds


def simulated_seconds(task_seconds: float, tmp: Path) -> float:
    """Simulated seconds `vm clone golden app --start --wait ip` takes when requests cost no time."""
    from typer.testing import CliRunner

    from pvectl.cli.app import app
    from pvectl.cli.context import AppContext
    from pvectl.sdk import ProxmoxClient
    from pvectl.sim.core import Simulator
    from pvectl.sim.mock import mock_transport
    from pvectl.sim.store import Store
    from pvectl.sim.world import credentials_of
    from tests.vm.guest_kit import SharedClock

    clock = SharedClock()
    sim = Simulator(Store(tmp / "state.json", {"task_seconds": task_seconds}), clock=clock)
    creds = credentials_of(sim.store.snapshot())
    client = ProxmoxClient(
        "127.0.0.1:8006",
        token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
        transport=mock_transport(sim),
        clock=clock,
    )
    AppContext.client = lambda self: client  # type: ignore[method-assign]

    def run(*args: str) -> None:
        result = CliRunner().invoke(app, ["--sim", *args])
        if result.exit_code:
            raise SystemExit(f"{' '.join(args)} failed ({result.exit_code}): {result.stderr[-500:]}")

    run("vm", "create", "--node", "pve1", "--name", "golden", "--disk", "local-lvm:8")
    run("vm", "template", "golden", "--yes")
    clock.now += 60  # the template's own tasks are long over
    start = clock.now
    run("vm", "clone", "golden", "app", "--start", "--wait", "ip")
    client.close()
    return clock.now - start


def main(runs: int, task_seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = base_env(Path(tmp))
        seed = Path(tmp) / "seed.json"
        seed.write_text(json.dumps({"task_seconds": task_seconds}))
        subprocess.run([*PVECTL[:-1], "sim", "reset", "--seed", str(seed)], env=env, check=True, capture_output=True)
        timed([*PVECTL, "vm", "create", "--node", "pve1", "--name", "golden", "--disk", "local-lvm:8"], env)
        timed([*PVECTL, "vm", "template", "golden", "--yes"], env)
        walls, bases = [], []
        for i in range(runs):
            args = [*PVECTL, "vm", "clone", "golden", f"app{i}", "--start", "--wait", "ip", "--timeout", "2m"]
            walls.append(timed(args, env))
            bases.append(timed([*PVECTL, "vm", "show", "golden"], env))
            print(f"  run {i + 1}: clone --start --wait ip {walls[-1]:.2f}s, vm show {bases[-1]:.2f}s")
    floor = 2 * task_seconds + IP_SECONDS
    bound = (2 * first_poll_at_or_after(task_seconds, BACKOFF) + first_poll_at_or_after(IP_SECONDS, 2)) / floor
    wall, base = statistics.median(walls), statistics.median(bases)
    ratio = (wall - base) / floor
    print(f"simulated delays (clone task + start task + agent address): {floor:.2f}s")
    print(f"vm clone --start --wait ip: median {wall:.2f}s; baseline (start-up + requests, vm show) {base:.2f}s")
    print(f"(wall - baseline) / simulated delays: {ratio:.2f}x; backoff bound {bound:.2f}x")
    with tempfile.TemporaryDirectory() as tmp:
        waited = simulated_seconds(task_seconds, Path(tmp))
    verdict = "ok: no idle polling beyond the backoff" if waited / floor <= bound + 1e-9 else "OVER the backoff bound"
    print(f"simulated clock, requests free: waited {waited:.2f}s -> {waited / floor:.2f}x; {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
