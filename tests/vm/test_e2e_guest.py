"""Template -> clone -> reachable VM -> exec, over real HTTPS to the embedded simulator in fresh processes."""

from __future__ import annotations

from pathlib import Path

from tests.cli._subproc import pvectl
from tests.vm.test_e2e import env_for


def test_clone_start_wait_ip_then_exec(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    assert pvectl("--sim", "vm", "create", "--node", "pve1", "--name", "base1", env=env).code == 0
    assert pvectl("--sim", "vm", "template", "base1", "--yes", env=env).code == 0
    run = pvectl("--sim", "vm", "clone", "base1", "app1", "--wait", "ip", "--timeout", "1m", env=env)
    assert run.code == 0, run.stderr
    assert run.stdout.strip().startswith("192.0.2.")
    assert "linked clone" in run.stderr
    assert pvectl("--sim", "vm", "exec", "app1", "--", "sh", "-c", "exit 42", env=env).code == 42
