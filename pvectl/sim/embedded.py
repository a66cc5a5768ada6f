"""``pvectl --sim``: a simulator in this process whose state lives in the XDG state dir between invocations."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pvectl.sim.paths import STATE_FILE, ensure_dir, state_dir

if TYPE_CHECKING:
    from pvectl.sim.core import Simulator


@dataclass(frozen=True)
class SimConnection:
    base_url: str  # https://127.0.0.1:PORT
    fingerprint: str  # SHA-256 of the certificate, AA:BB:...
    ca_file: str  # the self-signed certificate (PEM), usable as the trust anchor
    token: str  # root@pam!ID=SECRET
    user: str
    password: str


_lock = threading.Lock()
_running: dict[Path, SimConnection] = {}
_servers: list[object] = []
_sims: dict[Path, object] = {}


def sim_connection() -> SimConnection:
    """Start (once per process and state dir) an HTTPS simulator on an ephemeral loopback port.

    Raises StateError for an unusable state file and FaultSpecError for a bad ``$PVECTL_SIM_FAULTS``.
    """
    from pvectl.sim.core import Simulator
    from pvectl.sim.server import RunningServer, start_server
    from pvectl.sim.store import Store
    from pvectl.sim.tls import ensure_cert
    from pvectl.sim.world import credentials_of

    directory = ensure_dir(state_dir()).resolve()
    with _lock:
        known = _running.get(directory)
        if known is not None:
            return known
        cert = ensure_cert(directory)
        store = Store(directory / STATE_FILE)
        sim = Simulator(store)
        faults = os.environ.get("PVECTL_SIM_FAULTS", "")
        sim.inject(*(spec.strip() for spec in faults.split(";") if spec.strip()))
        server: RunningServer = start_server(sim, cert)
        _servers.append(server)
        creds = credentials_of(store.snapshot())
        conn = SimConnection(
            base_url=server.base_url,
            fingerprint=cert.fingerprint,
            ca_file=str(cert.cert),
            token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
            user="root@pam",
            password=creds["password"],
        )
        _running[directory] = conn
        _sims[directory] = sim
        return conn


def embedded_simulator() -> Simulator:
    """The Simulator behind sim_connection() for the current state dir (tests inject faults through it)."""
    from pvectl.sim.core import Simulator

    sim_connection()
    with _lock:
        sim = _sims[ensure_dir(state_dir()).resolve()]
    assert isinstance(sim, Simulator)
    return sim


def stop_embedded() -> None:
    """Stop every simulator sim_connection() started in this process (tests)."""
    from pvectl.sim.server import RunningServer

    with _lock:
        for server in _servers:
            if isinstance(server, RunningServer):
                server.stop()
        _servers.clear()
        _running.clear()
        _sims.clear()
