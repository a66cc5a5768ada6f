"""``pvectl --sim``: a simulator in this process whose state lives in the XDG state dir between invocations."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pvectl.sim.paths import FAULTS_ENV, STATE_FILE, ensure_dir, state_dir

if TYPE_CHECKING:
    from pvectl.sim.core import Simulator
    from pvectl.sim.server import RunningServer


@dataclass(frozen=True)
class SimConnection:
    base_url: str  # https://127.0.0.1:PORT
    fingerprint: str  # SHA-256 of the certificate, AA:BB:...
    ca_file: str  # the self-signed certificate (PEM), usable as the trust anchor
    token: str  # root@pam!ID=SECRET
    user: str
    password: str


# Imports stay inside the functions: `pvectl --help` and non-sim commands never load the simulator.
_lock = threading.Lock()
_running: dict[Path, tuple[SimConnection, Simulator, RunningServer]] = {}


def sim_connection() -> SimConnection:
    """Start (once per process and state dir) an HTTPS simulator on an ephemeral loopback port.

    Raises StateError for an unusable state file and FaultSpecError for a bad ``$PVECTL_SIM_FAULTS``.
    """
    from pvectl.sim.core import Simulator
    from pvectl.sim.server import start_server
    from pvectl.sim.store import Store
    from pvectl.sim.tls import ensure_cert

    directory = ensure_dir(state_dir()).resolve()
    with _lock:
        known = _running.get(directory)
        if known is not None:
            return known[0]
        cert = ensure_cert(directory)
        store = Store(directory / STATE_FILE)
        sim = Simulator(store)
        sim.use_env_faults(os.environ.get(FAULTS_ENV, ""))
        server = start_server(sim, cert, compress=False)
        creds = store.credentials()
        conn = SimConnection(
            base_url=server.base_url,
            fingerprint=cert.fingerprint,
            ca_file=str(cert.cert),
            token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
            user="root@pam",
            password=creds["password"],
        )
        _running[directory] = (conn, sim, server)
        return conn


def embedded_simulator() -> Simulator:
    """The Simulator behind sim_connection() for the current state dir (tests inject faults through it)."""
    sim_connection()
    with _lock:
        return _running[ensure_dir(state_dir()).resolve()][1]


def stop_embedded() -> None:
    """Stop every simulator sim_connection() started in this process (tests)."""
    with _lock:
        for _, _, server in _running.values():
            server.stop()
        _running.clear()
