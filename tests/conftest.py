"""Shared fixtures: SDK clients on pytest-httpx's mock transport, sync and async; the suite's plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient
from tests.support.clock import FakeClock

pytest_plugins = ["tests.support.plugin"]  # isolation for every test (xdist-safe) and the shared fixtures

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "root@pam!ci=5ecret-70ken"
BASE = "https://pve1:8006/api2/json"

__all__ = ["BASE", "ROOT", "TOKEN", "FakeClock"]


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
