"""A `pvectl --sim` runner whose simulator and client share one fake clock: the guest agent's boot delay and
task waits pass in simulated time, so tests of `vm wait`, `vm exec` and `vm clone --wait ip` never sleep."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sim.core import Simulator
from pvectl.sim.store import Store
from tests.support.clock import FakeClock
from tests.support.simcli import SimCli, mount


class SharedClock(FakeClock):
    """The suite's FakeClock, started at a plausible epoch (the simulator stamps tasks and boots with it)."""

    def __init__(self) -> None:
        super().__init__(1_800_000_000.0)


@pytest.fixture(name="clock")
def clock_fixture() -> SharedClock:
    return SharedClock()


@pytest.fixture(name="gcli")
def gcli_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: SharedClock) -> Iterator[SimCli]:
    sim = Simulator(Store(tmp_path / "state.json", {"task_seconds": 1}), clock=clock)
    yield from mount(tmp_path, monkeypatch, sim, SimCli, clock=clock)
