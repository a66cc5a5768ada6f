"""PVE behaviours read from PVE's own sources, each checked end to end: the client against the simulator.

Every test names the PVE repository, file and function it encodes (and the commit read, in the README of this
folder). The simulator and the client each implement the rule on their own; these tests fail when either
drifts from PVE.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvectl.cli.context import AppContext
from pvectl.sdk import ProxmoxClient
from tests.conftest import FakeClock
from tests.vm.conftest import SimCli, mount


class Pve(SimCli):
    """The CLI on a seeded simulator, plus the same SDK client for direct calls."""

    @property
    def client(self) -> ProxmoxClient:
        made: ProxmoxClient = AppContext.client(None)  # type: ignore[arg-type]  # the fixture's client
        return made

    def vm(self, vmid: int) -> dict[str, Any]:
        return dict(self.sim.store.snapshot()["vms"][str(vmid)])


def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **seed: Any) -> Iterator[Pve]:
    yield from mount(tmp_path, monkeypatch, {"task_seconds": 0, **seed}, Pve, clock=FakeClock())


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    """Two nodes; VM 100 running on pve1 with a local disk."""
    yield from seeded(
        tmp_path,
        monkeypatch,
        nodes=["pve1", "pve2"],
        vms=[
            {
                "vmid": 100,
                "node": "pve1",
                "name": "web1",
                "status": "running",
                "config": {"memory": "2048", "cores": "2", "scsi0": "local-lvm:8"},
            }
        ],
    )
