"""`pvectl vm ...` in-process against the simulator mounted on a mock transport (same answers as HTTPS).

The harness lives in tests/support (the ``cli`` fixture comes from its plugin); the names stay importable here."""

from __future__ import annotations

from tests.support.run import Run
from tests.support.simcli import SimCli, mount, sim_cli

__all__ = ["Run", "SimCli", "mount", "sim_cli"]
