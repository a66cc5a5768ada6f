"""End to end through the embedded simulator (`pvectl --sim`, real HTTPS on loopback), in subprocesses."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli._subproc import bash_complete, pvectl, zsh_complete


def test_create_show_start_and_list_tasks_through_the_simulator(tmp_path: Path) -> None:
    env = {
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    nodes = pvectl("--sim", "-o", "json", "api", "nodes", "list", env=env)
    assert nodes.code == 0, nodes.stderr
    assert {"pve1", "pve2"} <= {n["node"] for n in json.loads(nodes.stdout)}

    created = pvectl(
        "--sim", "-o", "json", "api", "nodes", "qemu", "create", "--node", "pve1", "--vmid", "150",
        "--name", "smoke", "--memory", "512", "--net0", "virtio,bridge=vmbr0", "--onboot", "yes", env=env,
    )  # fmt: skip
    assert created.code == 0, created.stderr
    assert json.loads(created.stdout)["exitstatus"] == "OK"

    config = pvectl(
        "--sim", "-o", "json", "api", "nodes", "qemu", "config", "get", "--node", "pve1", "--vmid", "150", env=env
    )
    assert json.loads(config.stdout)["name"] == "smoke"
    assert json.loads(config.stdout)["onboot"] in (1, "1")

    started = pvectl(
        "--sim",
        "-o",
        "text",
        "api",
        "nodes",
        "qemu",
        "status",
        "start",
        "--node",
        "pve1",
        "--vmid",
        "150",
        "--no-wait",
        env=env,
    )
    upid = started.stdout.strip()
    assert upid.startswith("UPID:pve1:"), started.stderr
    waited = pvectl("--sim", "-o", "json", "task", "wait", upid, env=env)
    assert waited.code == 0, waited.stderr
    assert json.loads(waited.stdout)["exitstatus"] == "OK"

    duplicate = pvectl("--sim", "api", "nodes", "qemu", "create", "--node", "pve1", "--vmid", "150", env=env)
    assert duplicate.code == 1
    assert "already exists" in duplicate.stderr


def test_live_completion_from_the_simulator(tmp_path: Path) -> None:
    env = {
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PVECTL_COMPLETION_TIMEOUT": "20",  # starting the simulator may take longer than half a second in CI
    }
    nodes = bash_complete("pvectl --sim api nodes qemu status start --node ", env)
    assert {"pve1", "pve2"} <= set(nodes.stdout.split()), nodes.stderr
    vmids = zsh_complete("pvectl --sim api nodes qemu status start --node pve1 --vmid ", env)
    assert vmids.stdout.startswith("_arguments"), vmids.stderr
    assert re.search(r'"\d+":"[^"]+ \(qemu on pve\d\)"', vmids.stdout), vmids.stdout  # VM id with its name
