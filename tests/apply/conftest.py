"""`pvectl diff` / `pvectl apply` in-process against the simulator (the ``cli`` fixture of tests/support)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.simcli import SimCli, sim_cli


@pytest.fixture
def old_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimCli]:
    """PVE 8.4: no allow-ksm (first in 9.0.17), no ha-managed in the create call."""
    yield from sim_cli(tmp_path, monkeypatch, version="8.4.0")
