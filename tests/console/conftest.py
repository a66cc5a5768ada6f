"""A simulator over real HTTPS on 127.0.0.1, VM 100 running with serial0=socket, and clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.server import RunningServer, start_server
from pvectl.sim.store import Store
from pvectl.sim.tls import CertFiles, ensure_cert
from pvectl.sim.world import credentials_of

VMID = 100


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    monkeypatch.setenv("PVECTL_SIM_STATE_DIR", str(tmp_path / "simstate"))
    sim = Simulator(Store(tmp_path / "simstate" / "state.json", {"task_seconds": 0}))
    with sim.store.transaction(write=True) as txn:
        txn.state["vms"][str(VMID)]["config"].update({"serial0": "socket", "vga": "serial0"})
        txn.changed()
    return sim


@pytest.fixture
def cert(tmp_path: Path) -> CertFiles:
    return ensure_cert(tmp_path / "simstate")


@pytest.fixture
def server(sim: Simulator, cert: CertFiles) -> Iterator[RunningServer]:
    running = start_server(sim, cert)
    yield running
    running.stop()


@pytest.fixture
def client(server: RunningServer, cert: CertFiles, sim: Simulator) -> Iterator[ProxmoxClient]:
    """A password login (the console refuses tokens), pinned to the simulator's certificate."""
    creds = credentials_of(sim.store.snapshot())
    with ProxmoxClient(
        base_url=f"{server.base_url}/api2/json",
        user="root@pam",
        password=creds["password"],
        fingerprint=cert.fingerprint,
    ) as c:
        yield c


@pytest.fixture
def token_client(server: RunningServer, cert: CertFiles, sim: Simulator) -> Iterator[ProxmoxClient]:
    creds = credentials_of(sim.store.snapshot())
    token = f"root@pam!{creds['token_id']}={creds['token_secret']}"
    with ProxmoxClient(base_url=f"{server.base_url}/api2/json", token=token, verify=str(cert.cert)) as c:
        yield c
