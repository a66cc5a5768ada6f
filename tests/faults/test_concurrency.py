"""50 `vm create` with automatic ids at once: all succeed with 50 distinct ids, all listed afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.concurrent import run_many, sim_serve

COUNT = 50


def check(results: list, env: dict[str, str], sim: bool) -> None:  # type: ignore[type-arg]
    failed = [r for r in results if r.code != 0]
    assert not failed, f"{len(failed)} of {len(results)} failed; first: {failed[0].stderr}"
    ids = [json.loads(r.stdout)["vmid"] for r in results]
    assert len(set(ids)) == COUNT, sorted(ids)
    listed = subprocess.run(
        [sys.executable, "-m", "pvectl", *(["--sim"] if sim else []), "-o", "json", "vm", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert set(ids) <= {row["vmid"] for row in json.loads(listed.stdout)}


@pytest.mark.slow
def test_50_concurrent_creates_against_sim_serve(tmp_path: Path) -> None:
    with sim_serve(tmp_path) as served:
        results, _ = run_many(served.env, COUNT, at_once=True)
        check(results, served.env, sim=False)


@pytest.mark.slow
def test_50_concurrent_sim_processes_sharing_one_state(tmp_path: Path) -> None:
    from tests.faults.concurrent import base_env

    env = base_env(tmp_path)
    results, _ = run_many(env, COUNT, at_once=True, sim=True)
    check(results, env, sim=True)
