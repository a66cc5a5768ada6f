"""`pvectl ct ...` in-process against the simulator: `cli` comes from tests/support; the fault proxy from tests/faults."""

from __future__ import annotations

from tests.faults.conftest import pve, slow_pve

__all__ = ["pve", "slow_pve"]
