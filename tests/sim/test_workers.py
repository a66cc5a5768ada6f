"""``pvectl sim serve --workers N``: pre-forked processes on one port, as pveproxy serves (each worker with
its own answer caches, one SQLite state); stopped with the parent, also when the parent is killed."""

from __future__ import annotations

import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sim.test_cli import field, read_until, run, serve_process


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
        return [int(p) for p in fh.read().split()]


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in fh)
    except FileNotFoundError:
        return True


def _wait_gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_gone(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def workers(state_dir: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    proc = serve_process(state_dir, "--workers", "2")
    children: list[int] = []
    try:
        lines = read_until(proc, "Press Ctrl-C")
        children = _children(proc.pid)
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
        _wait_gone(children)


def test_every_worker_serves_the_state_after_a_write(
    workers: tuple[subprocess.Popen[str], list[str]], state_dir: Path
) -> None:
    proc, lines = workers
    assert "(2 worker processes)" in lines[0]
    children = _children(proc.pid)
    assert len(children) == 2
    url = lines[0].split(" listening on ")[1].split()[0]
    headers = {"Authorization": f"PVEAPIToken={field(lines, 'API token:')}"}
    context = ssl.create_default_context(cafile=str(state_dir / "cert.pem"))

    def ids_seen_by_fresh_connections(n: int) -> list[set[int]]:
        seen = []
        for _ in range(n):  # a new connection each: the kernel hands them to either worker
            with httpx.Client(base_url=url, verify=context, headers=headers) as http:
                data = http.get("/cluster/resources", params={"type": "vm"}).json()["data"]
                seen.append({int(r["vmid"]) for r in data})
        return seen

    before = ids_seen_by_fresh_connections(12)  # both workers render and cache the answer
    assert all(4242 not in ids for ids in before)
    with httpx.Client(base_url=url, verify=context, headers=headers) as http:
        created = http.post("/nodes/pve1/qemu", data={"vmid": "4242", "name": "forked", "memory": "512"})
    assert created.status_code == 200, created.text
    after = ids_seen_by_fresh_connections(12)
    assert all(4242 in ids for ids in after)  # no worker answers from its cache of the old state
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "simulator stopped" in out
    assert _wait_gone(children)


def test_workers_end_when_their_parent_is_killed(workers: tuple[subprocess.Popen[str], list[str]]) -> None:
    proc, _ = workers
    children = _children(proc.pid)
    assert len(children) == 2
    proc.kill()  # SIGKILL: the parent cannot stop them; they notice it is gone
    proc.wait(timeout=10)
    assert _wait_gone(children)


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("--workers", "0"), "error: --workers: must be between 1 and 64, got 0"),
        (
            ("--workers", "3", "--faults", "fail:path=/nodes,nth=2"),
            "error: --workers: request faults count calls in one process; serve them with --workers 1",
        ),
    ],
)
def test_bad_worker_counts_are_one_line_and_exit_2(state_dir: Path, args: tuple[str, ...], culprit: str) -> None:
    code, _, err = run("sim", "serve", "--port", "0", *args)
    lines = err.strip().splitlines()
    assert code == 2 and lines == [culprit]
