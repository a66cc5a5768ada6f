"""A simulated cluster with many VMs, driven through the CLI in-process (mock transport, one shared client)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.cli.context import AppContext
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of

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
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Fleet:
    sim: Simulator
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, *args: str, input: str | None = None) -> Run:
        result = CliRunner().invoke(app, ["--sim", *args], input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    def writes(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix('/api2/json')}" for r in self.requests if r.method != "GET"]

    def status(self, vmid: int) -> str:
        return str(self.sim.store.snapshot()["vms"][str(vmid)]["status"])


def make_fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: dict[str, Any]) -> Iterator[Fleet]:
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    sim = Simulator(Store(tmp_path / "state.json", seed))
    creds = credentials_of(sim.store.snapshot())
    fleet = Fleet(sim)
    inner = mock_transport(sim)

    def record(request: httpx.Request) -> httpx.Response:
        fleet.requests.append(request)
        return inner.handle_request(request)

    client = ProxmoxClient(
        "127.0.0.1:8006",
        token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
        transport=httpx.MockTransport(record),
    )
    monkeypatch.setattr(AppContext, "client", lambda self: client)
    yield fleet
    client.close()


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    """50 running VMs (100..149), tasks end at once."""
    yield from make_fleet(tmp_path, monkeypatch, {"task_seconds": 0, "nodes": NODES, "vms": many_vms(50)})
