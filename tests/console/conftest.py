"""The simulator fixtures of tests/support/simserver.py (state dir, HTTPS server on 127.0.0.1), with VM 100 running with
serial0=socket, and clients for it: a pinned password login (the console's) and an API token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.server import RunningServer
from pvectl.sim.store import Store
from pvectl.sim.tls import CertFiles
from tests.support.simserver import SimClock, cert, clock, password, server, state_dir, token

__all__ = ["cert", "clock", "password", "server", "state_dir", "token"]


@pytest.fixture
def sim(state_dir: Path, clock: SimClock) -> Simulator:
    sim = Simulator(Store(state_dir / "state.json", {"task_seconds": 0}), clock=clock)
    with sim.store.transaction(write=True) as txn:
        txn.state["vms"]["100"]["config"].update({"serial0": "socket", "vga": "serial0"})
        txn.changed()
    return sim


@pytest.fixture
def client(server: RunningServer, cert: CertFiles, password: str) -> Iterator[ProxmoxClient]:
    """A password login (the console refuses tokens), pinned to the simulator's certificate."""
    base_url = f"{server.base_url}/api2/json"
    with ProxmoxClient(base_url=base_url, user="root@pam", password=password, fingerprint=cert.fingerprint) as c:
        yield c


@pytest.fixture
def token_client(server: RunningServer, cert: CertFiles, token: str) -> Iterator[ProxmoxClient]:
    with ProxmoxClient(base_url=f"{server.base_url}/api2/json", token=token, verify=str(cert.cert)) as c:
        yield c
