"""Where the simulator keeps its state, certificate and credentials."""

from __future__ import annotations

import os
from pathlib import Path

STATE_FILE = "state.db"  # SQLite (store.py); a format-1 state.json beside it is migrated on first use
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
SERVER_FILE = "server.json"  # written by `sim serve` while it runs
FAULTS_ENV = "PVECTL_SIM_FAULTS"  # fault specs separated by ';' for the embedded simulator of `--sim`


def state_dir() -> Path:
    """``$PVECTL_SIM_STATE_DIR``, else ``$XDG_STATE_HOME/pvectl/sim``, else ``~/.local/state/pvectl/sim``."""
    override = os.environ.get("PVECTL_SIM_STATE_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "pvectl" / "sim"


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
