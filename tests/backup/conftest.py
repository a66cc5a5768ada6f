"""`pvectl backup ...` in-process against the simulator's default world (backups on cephfs and each node's local
storage; VMs 100-102, containers 200-201), and a
transport that can lose the answer of a write after the simulator carried it out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pvectl.cli.context import AppContext
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from tests.conftest import FakeClock
from tests.vm.conftest import SimCli


@dataclass
class BackupCli(SimCli):
    lose_after: set[str] = field(default_factory=set)  # "POST /nodes/pve2/vzdump": carried out, answer lost
    edit: dict[str, Any] = field(default_factory=dict)  # "GET /nodes/pve1/storage": f(data) -> the data answered

    def volids(self, *args: str) -> list[str]:
        return [row["volid"] for row in self("backup", "list", *args, "-o", "json").json()]

    def guest_id(self, name: str) -> int:
        """The id of the guest (VM or container) named ``name`` in the world (the tests need no fixed ids)."""
        rows = self("api", "get", "/cluster/resources", "--type", "vm", "-o", "json").json()
        return int(next(r["vmid"] for r in rows if r.get("name") == name))


def backup_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **seed: Any) -> Iterator[BackupCli]:
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    sim = Simulator(Store(tmp_path / "state.json", {"task_seconds": 0, **seed}))
    creds = credentials_of(sim.store.snapshot())
    runner = BackupCli(sim)
    inner = mock_transport(sim)

    def handle(request: httpx.Request) -> httpx.Response:
        runner.requests.append(request)
        answer = inner.handle_request(request)
        key = f"{request.method} {request.url.path.removeprefix('/api2/json')}"
        if key in runner.lose_after:
            runner.lose_after.discard(key)
            raise httpx.ReadError("connection closed before the answer", request=request)
        if key in runner.edit:
            answer.read()
            data = runner.edit[key](answer.json()["data"])
            return httpx.Response(answer.status_code, json={"data": data}, request=request)
        return answer

    client = ProxmoxClient(
        "127.0.0.1:8006",
        token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
        transport=httpx.MockTransport(handle),
        clock=FakeClock(),
    )
    monkeypatch.setattr(AppContext, "client", lambda self: client)
    yield runner
    client.close()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BackupCli]:
    yield from backup_cli(tmp_path, monkeypatch)
