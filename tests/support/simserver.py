"""Simulator fixtures: a state dir per test, a clock tests can move, a real HTTPS server on 127.0.0.1 (on a free
port: ``start_server`` binds port 0). A folder's conftest imports the ones it uses (tests/sim, tests/console)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.server import RunningServer, start_server
from pvectl.sim.store import Store
from pvectl.sim.tls import CertFiles, ensure_cert
from pvectl.sim.world import credentials_of
from tests.support.clock import WallClock

SimClock = WallClock  # the name the sim tests use


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "simstate"
    monkeypatch.setenv("PVECTL_SIM_STATE_DIR", str(directory))
    return directory


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sim(state_dir: Path, clock: SimClock) -> Simulator:
    # Tasks finish at once unless a test makes them slow; the default world otherwise.
    return Simulator(Store(state_dir / "state.json", {"task_seconds": 0}), clock=clock)


@pytest.fixture
def token(sim: Simulator) -> str:
    creds = credentials_of(sim.store.snapshot())
    return f"root@pam!{creds['token_id']}={creds['token_secret']}"


@pytest.fixture
def password(sim: Simulator) -> str:
    return credentials_of(sim.store.snapshot())["password"]


@pytest.fixture
def cert(state_dir: Path) -> CertFiles:
    return ensure_cert(state_dir)


@pytest.fixture
def server(sim: Simulator, cert: CertFiles) -> Iterator[RunningServer]:
    running = start_server(sim, cert)
    yield running
    running.stop()


@pytest.fixture
def client(server: RunningServer, cert: CertFiles, token: str) -> Iterator[ProxmoxClient]:
    with ProxmoxClient(base_url=f"{server.base_url}/api2/json", token=token, verify=str(cert.cert)) as c:
        yield c


@pytest.fixture
def http(server: RunningServer, cert: CertFiles) -> Iterator[httpx.Client]:
    """A plain HTTPS client, as someone would write from the PVE API documentation."""
    context = ssl.create_default_context(cafile=str(cert.cert))
    with httpx.Client(base_url=f"{server.base_url}/api2/json", verify=context) as c:
        yield c


@pytest.fixture
def mocked(sim: Simulator, token: str) -> Iterator[ProxmoxClient]:
    """The SDK on the simulator without sockets (fast)."""
    with ProxmoxClient("sim", token=token, transport=mock_transport(sim)) as c:
        yield c
