"""A simulated cluster with many VMs, driven through the CLI in-process (the harness of tests/support: mock transport,
one shared client, every request recorded)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.simcli import SimCli, mount

NODES = ["pve1", "pve2", "pve3"]


def many_vms(n: int, start: int = 100) -> list[dict[str, Any]]:
    """``n`` VMs over three nodes: every one tagged web or db, every third also lab; all running."""
    return [
        {
            "vmid": start + i,
            "node": f"pve{i % 3 + 1}",
            "name": f"{'web' if i % 2 == 0 else 'db'}-{i:03d}",
            "status": "running",
            "tags": ";".join(["web" if i % 2 == 0 else "db", *(["lab"] if i % 3 == 0 else [])]),
            "pool": "lab" if i % 3 == 0 else "prod",
            "config": {"memory": "512", "cores": "1"},
        }
        for i in range(n)
    ]


@dataclass
class Fleet(SimCli):
    def status(self, vmid: int) -> str:
        return str(self.sim.store.snapshot()["vms"][str(vmid)]["status"])


def make_fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: dict[str, Any]) -> Iterator[Fleet]:
    yield from mount(tmp_path, monkeypatch, seed, Fleet)


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    """50 running VMs (100..149), tasks end at once."""
    yield from make_fleet(tmp_path, monkeypatch, {"task_seconds": 0, "nodes": NODES, "vms": many_vms(50)})
