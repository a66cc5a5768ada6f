"""Shared fixtures: SDK clients on pytest-httpx's mock transport, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "root@pam!ci=5ecret-70ken"
BASE = "https://pve1:8006/api2/json"


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real ~/.config, ~/.cache or ~/.local/state (tests may point them elsewhere)."""
    home = tmp_path_factory.mktemp("home")
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in ("PVECTL_CONFIG", "PVECTL_CONTEXT", "PVECTL_HOST", "PVECTL_TOKEN", "PVECTL_PASSWORD", "PVECTL_SIM"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[ProxmoxClient]:
    with ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", clock=clock) as c:
        yield c


@pytest.fixture
async def aclient(clock: FakeClock) -> AsyncIterator[AsyncProxmoxClient]:
    async with AsyncProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", clock=clock) as c:
        yield c
