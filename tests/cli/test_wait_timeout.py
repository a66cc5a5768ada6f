"""`--wait-timeout` on the generated task commands: a wait that runs out is `unknown` (exit 7) with the UPID and how
to follow it; a bad duration is a usage error before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli._subproc import pvectl


def _env(tmp_path: Path, faults: str = "") -> dict[str, str]:
    env = {"PVECTL_SIM_STATE_DIR": str(tmp_path / "sim"), "PVECTL_SIM": "1"}
    if faults:
        env["PVECTL_SIM_FAULTS"] = faults
    return env


def _status(tmp_path: Path) -> str:
    shown = pvectl("api", "get", "/nodes/pve2/qemu/102/status/current", "-o", "json", env=_env(tmp_path))
    assert shown.code == 0, shown.stderr
    return str(json.loads(shown.stdout)["status"])


def test_a_wait_that_runs_out_is_unknown_with_the_upid(tmp_path: Path) -> None:
    env = _env(tmp_path, "task-slow:seconds=6")
    started = pvectl("api", "nodes", "qemu", "status", "start", "--node", "pve2", "--vmid", "102",
                     "--wait-timeout", "1s", env=env)  # fmt: skip
    assert started.code == 7, started.stderr
    assert "still runs after 1s" in started.stderr and "UPID:pve2:" in started.stderr
    assert "pvectl task wait 'UPID:pve2:" in started.stderr
    assert "internal error" not in started.stderr


def test_a_bad_duration_sends_nothing(tmp_path: Path) -> None:
    assert _status(tmp_path) == "stopped"
    bad = pvectl("api", "nodes", "qemu", "status", "start", "--node", "pve2", "--vmid", "102",
                 "--wait-timeout", "5parsecs", env=_env(tmp_path))  # fmt: skip
    assert bad.code == 2
    assert bad.stderr.strip().splitlines()[0].startswith("error: --wait-timeout: '5parsecs'")
    assert _status(tmp_path) == "stopped"  # the start was never sent


def test_verbose_wait_streams_the_task_log(tmp_path: Path) -> None:
    env = _env(tmp_path, "task-slow:seconds=2")
    started = pvectl("-v", "api", "nodes", "qemu", "status", "start", "--node", "pve2", "--vmid", "102", env=env)
    assert started.code == 0, started.stderr
    assert "TASK OK" in started.stderr.splitlines()  # the log as the task wrote it, last line included
    assert _status(tmp_path) == "running"
