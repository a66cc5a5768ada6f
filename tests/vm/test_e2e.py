"""`pvectl --sim vm ...` in fresh processes: real HTTPS to the embedded simulator, state kept between runs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli._subproc import pvectl


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        **extra,
    }


def test_readme_flow_create_then_list(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    created = pvectl("--sim", "vm", "create", "--node", "pve1", "--name", "demo", env=env)
    assert created.code == 0, created.stderr
    assert created.stdout.startswith("VM ") and created.stdout.strip().endswith("created on pve1")
    listed = pvectl("--sim", "-o", "json", "vm", "list", env=env)
    demo = next(v for v in json.loads(listed.stdout) if v["name"] == "demo")
    assert demo["node"] == "pve1"
    # only the vm group's modules were needed; the generated API tree stayed unloaded
    assert not any(m.startswith("pvectl.cli.api") for m in created.modules)


def test_partial_success_exit_code_and_remedy(tmp_path: Path) -> None:
    faults = "fail:path=/nodes/{node}/qemu/{vmid}/config,method=PUT,status=500,message=VM is locked (create)"
    env = env_for(tmp_path, PVECTL_SIM_FAULTS=faults)
    run = pvectl("--sim", "vm", "create", "--node", "pve1", "--name", "half", env=env)
    assert run.code == 6, run.stderr
    assert "serial console step failed: VM is locked (create)" in run.stderr
    assert "finish with: pvectl vm serial-console enable" in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_simulator_input_is_a_usage_error(tmp_path: Path) -> None:
    run = pvectl("--sim", "vm", "list", env=env_for(tmp_path, PVECTL_SIM_FAULTS="bogus"))
    assert run.code == 2
    assert run.stderr.startswith("error: unknown fault kind 'bogus'")
