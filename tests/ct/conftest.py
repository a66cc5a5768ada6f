"""`pvectl ct ...` in-process against the simulator (the vm harness: one mount of the CLI on a mock transport;
the ``cli`` fixture comes from the tests/support plugin)."""

from __future__ import annotations

from tests.faults.conftest import pve, slow_pve

__all__ = ["pve", "slow_pve"]
