"""Many `vm create` with automatic ids at once: all succeed with distinct ids, all listed afterwards.

The main suite runs COUNT of them (``PVECTL_TEST_CONCURRENCY``, default 16: enough processes to collide on the
next free id and the state file); the `slow` set (run by .ci/run) and tests/bench/bench_outcomes.py run 50."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.concurrent import run_many, sim_serve

COUNT = int(os.environ.get("PVECTL_TEST_CONCURRENCY", "16"))  # read at import: the suite's plugin scrubs PVECTL_*
SIZES = [COUNT, pytest.param(50, marks=pytest.mark.slow, id="50")]


def check(results: list, env: dict[str, str], sim: bool, count: int) -> None:  # type: ignore[type-arg]
    failed = [r for r in results if r.code != 0]
    assert not failed, f"{len(failed)} of {len(results)} failed; first: {failed[0].stderr}"
    ids = [json.loads(r.stdout)["vmid"] for r in results]
    assert len(set(ids)) == count, sorted(ids)
    listed = subprocess.run(
        [sys.executable, "-m", "pvectl", *(["--sim"] if sim else []), "-o", "json", "vm", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert set(ids) <= {row["vmid"] for row in json.loads(listed.stdout)}


@pytest.mark.parametrize("count", SIZES)
def test_concurrent_creates_against_sim_serve(tmp_path: Path, count: int) -> None:
    with sim_serve(tmp_path) as served:
        results, _ = run_many(served.env, count, at_once=True)
        check(results, served.env, sim=False, count=count)


@pytest.mark.parametrize("count", SIZES)
def test_concurrent_sim_processes_sharing_one_state(tmp_path: Path, count: int) -> None:
    from tests.faults.concurrent import base_env

    env = base_env(tmp_path)
    results, _ = run_many(env, count, at_once=True, sim=True)
    check(results, env, sim=True, count=count)
