"""`pvectl ct ...` in-process against the simulator (the vm harness: one mount of the CLI on a mock transport)."""

from __future__ import annotations

from tests.faults.conftest import pve, slow_pve
from tests.vm.conftest import cli

__all__ = ["cli", "pve", "slow_pve"]
