"""`pvectl vm create` (in-process) and `pvectl` subprocesses behind the fault proxy, in front of a simulator."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from tests.faults.proxy import FaultProxy
from tests.support.clock import FakeClock
from tests.support.run import Run
from tests.support.simcli import invoke, use_client

__all__ = ["REQUEST_TIMEOUT", "Faulty", "Run", "faulty", "make_world"]

REQUEST_TIMEOUT = 1.0  # the client's per-request timeout; "slower than the timeout" answers take longer


@dataclass
class Faulty:
    proxy: FaultProxy
    sim: Simulator
    token: str
    env: dict[str, str]

    def __call__(self, *args: str) -> Run:
        return invoke(*args)

    def get(self, path: str, query: str = "") -> Any:
        """What the simulator holds, asked directly (not through the proxy)."""
        headers = {"Authorization": f"PVEAPIToken={self.token}"}
        return self.sim.handle("GET", f"/api2/json{path}", query, headers).json()["data"]

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """``pvectl ARGS`` in a subprocess talking to the proxy (for signals)."""
        return subprocess.Popen(
            [sys.executable, "-m", "pvectl", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def make_world(tmp_path: Path, task_seconds: float, version: str = "9.1.3", **seed: Any) -> tuple[Simulator, str]:
    sim = Simulator(Store(tmp_path / "state.json", {"task_seconds": task_seconds, "version": version, **seed}))
    creds = credentials_of(sim.store.snapshot())
    return sim, f"root@pam!{creds['token_id']}={creds['token_secret']}"


def faulty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task_seconds: float, version: str = "9.1.3", **seed: Any
) -> Iterator[Faulty]:
    """``seed``: more of the simulator's world (e.g. ``volumes``)."""
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    sim, token = make_world(tmp_path, task_seconds, version, **seed)
    proxy = FaultProxy(sim)
    # plain HTTP to the loopback proxy: a bare SSL context stands in for the system's CA store (loading it costs
    # ~60 ms a test, and nothing would use it)
    bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client = ProxmoxClient(
        base_url=f"{proxy.url}/api2/json", token=token, timeout=REQUEST_TIMEOUT, clock=FakeClock(), verify=bare
    )
    use_client(monkeypatch, client)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PVECTL_")},
        "PVECTL_HOST": proxy.url,
        "PVECTL_TOKEN": token,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg_config_home"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg_cache_home"),
        "PYTHONUNBUFFERED": "1",
    }
    yield Faulty(proxy, sim, token, env)
    client.close()
    proxy.close()


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faulty]:
    """Tasks end at once."""
    yield from faulty(tmp_path, monkeypatch, 0)


@pytest.fixture
def slow_pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faulty]:
    """Tasks run for a minute: long enough to press Ctrl-C while waiting."""
    yield from faulty(tmp_path, monkeypatch, 60)


@pytest.fixture
def old_pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faulty]:
    """PVE 8.4: no ha-managed in the create call, so vm create adds the HA resource in a step of its own."""
    yield from faulty(tmp_path, monkeypatch, 0, "8.4.0")
