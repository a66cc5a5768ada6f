"""A `pvectl --sim` runner whose simulator and client share one fake clock: the guest agent's boot delay and
task waits pass in simulated time, so tests of `vm wait`, `vm exec` and `vm clone --wait ip` never sleep."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pvectl.cli.context import AppContext
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from tests.vm.conftest import SimCli


class SharedClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture(name="clock")
def clock_fixture() -> SharedClock:
    return SharedClock()


@pytest.fixture(name="gcli")
def gcli_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: SharedClock) -> Iterator[SimCli]:
    sim = Simulator(Store(tmp_path / "state.json", {"task_seconds": 1}), clock=clock)
    creds = credentials_of(sim.store.snapshot())
    runner = SimCli(sim)
    inner = mock_transport(sim)

    def record(request: httpx.Request) -> httpx.Response:
        runner.requests.append(request)
        return inner.handle_request(request)

    client = ProxmoxClient(
        "127.0.0.1:8006",
        token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
        transport=httpx.MockTransport(record),
        clock=clock,
    )
    monkeypatch.setattr(AppContext, "client", lambda self: client)
    yield runner
    client.close()
