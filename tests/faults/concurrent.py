"""Many `pvectl vm create` processes at once: against `pvectl sim serve`, or each with its own `--sim` on one
state dir. Shared by the concurrency test and the benchmark."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.run import Run

STARTUP = 60.0  # seconds for `pvectl sim serve` to listen
LIMIT = 300.0  # seconds for a whole batch: the test fails instead of hanging


@dataclass
class Served:
    env: dict[str, str]  # PVECTL_HOST, PVECTL_FINGERPRINT, PVECTL_TOKEN


def base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PVECTL_")}
    env.update(
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        XDG_STATE_HOME=str(tmp / "state"),
        PVECTL_SIM_STATE_DIR=str(tmp / "sim"),
    )
    return env


@contextmanager
def sim_serve(tmp: Path, task_seconds: float = 0.1) -> Iterator[Served]:
    """`pvectl sim serve` on a free loopback port (it stops when the block ends)."""
    env = base_env(tmp)
    seed = tmp / "seed.json"
    seed.write_text(f'{{"task_seconds": {task_seconds}}}')
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pvectl",
            "sim",
            "serve",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--state",
            str(tmp / "s.json"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + STARTUP
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Try:"):
                break
        text = "".join(lines)
        host = re.search(r"--host (\S+)", text)
        pin = re.search(r"--fingerprint (\S+)", text)
        token = re.search(r"--token '([^']+)'", text)
        assert host and pin and token, text
        yield Served({**env, "PVECTL_HOST": host[1], "PVECTL_FINGERPRINT": pin[1], "PVECTL_TOKEN": token[1]})
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


Result = Run


def run_many(env: dict[str, str], count: int, *, at_once: bool, sim: bool = False) -> tuple[list[Result], float]:
    """``count`` x `pvectl -o json vm create --node pve1`, all at once or one after the other; (results, wall)."""
    args = [sys.executable, "-m", "pvectl", *(["--sim"] if sim else []), "-o", "json", "vm", "create", "--node", "pve1"]
    start = time.monotonic()
    results: list[Result] = []
    if at_once:
        procs = [
            subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        for proc in procs:
            try:
                out, err = proc.communicate(timeout=max(1.0, LIMIT - (time.monotonic() - start)))
            except subprocess.TimeoutExpired:
                for p in procs:
                    p.kill()
                raise
            results.append(Result(proc.returncode, out, err))
    else:
        for _ in range(count):
            done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=LIMIT, check=False)
            results.append(Result(done.returncode, done.stdout, done.stderr))
    return results, time.monotonic() - start
