"""The world the examples name is one command away (issue 28: every example of --help and the README runs as
written on --sim): `pvectl sim reset --seed examples`, the world tests/cli/test_examples_run.py runs them on."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.cli.examples import EXAMPLES
from pvectl.sim.example_world import EXAMPLES_SEED


def test_sim_reset_seed_examples_is_the_world_the_examples_name(tmp_path: Path) -> None:
    env = {"PVECTL_SIM_STATE_DIR": str(tmp_path / "sim"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    reset = CliRunner().invoke(app, ["sim", "reset", "--seed", "examples"], env=env)
    assert reset.exit_code == 0, reset.output
    listed = CliRunner().invoke(app, ["--sim", "guest", "list", "-o", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    guests = {(g["kind"], g["vmid"], g["name"]) for g in json.loads(listed.stdout)}
    expected = {("vm", v["vmid"], v["name"]) for v in EXAMPLES_SEED["vms"]}
    expected |= {("ct", c["vmid"], c["hostname"]) for c in EXAMPLES_SEED["containers"]}
    assert guests == expected
    assert ("ct", 200, "web1") in guests and ("vm", 9000, "debian-12-cloud") in guests
    nodes = CliRunner().invoke(app, ["--sim", "node", "list", "-o", "json"], env=env)
    assert [n["node"] for n in json.loads(nodes.stdout)] == ["pve1", "pve2", "pve3"]
    assert "pvectl sim reset --seed examples" in EXAMPLES["sim reset"]
