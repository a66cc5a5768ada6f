"""End to end against the embedded simulator over real HTTPS on 127.0.0.1: pinned TLS, password login,
CSRF on writes, renewal before expiry, a fresh login after expiry, one recovery after tickets are revoked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient
from pvectl.sdk._core.auth import RENEW_AFTER, TICKET_LIFETIME, TicketAuth
from tests.conftest import FakeClock

sim_core = pytest.importorskip("pvectl.sim.core")


class SharedClock(FakeClock):
    """One time line for the client (monotonic) and the simulator (wall clock), moved by the test."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.offset += seconds


@dataclass
class Sim:
    url: str
    fingerprint: str
    password: str
    simulator: object
    clock: SharedClock


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    from pvectl.sim.server import start_server
    from pvectl.sim.store import Store
    from pvectl.sim.tls import ensure_cert
    from pvectl.sim.world import credentials_of

    clock = SharedClock()
    simulator = sim_core.Simulator(Store(tmp_path / "state.json", {"task_seconds": 0}), clock=clock)
    cert = ensure_cert(tmp_path)
    server = start_server(simulator, cert)
    try:
        password = credentials_of(simulator.store.snapshot())["password"]
        yield Sim(server.base_url, cert.fingerprint, password, simulator, clock)
    finally:
        server.stop()


def _logins(auth: TicketAuth) -> list[str | None]:
    seen: list[str | None] = []
    auth.on_ticket = lambda a: seen.append(a.ticket)
    return seen


def test_password_session_with_renewal_expiry_and_revocation(sim: Sim) -> None:
    auth = TicketAuth("root@pam", sim.password)
    logins = _logins(auth)
    with ProxmoxClient(sim.url, auth=auth, fingerprint=sim.fingerprint, clock=sim.clock) as client:
        assert client.version().version  # login, then GET /version with the cookie
        client.request("POST", "/pools", {"poolid": "e2e"})  # a write: needs the CSRF token
        assert any(p["poolid"] == "e2e" for p in client.request("GET", "/pools"))
        assert len(logins) == 1

        sim.clock.advance(RENEW_AFTER + 60)
        client.request("GET", "/pools")  # renewed with the ticket itself
        assert len(logins) == 2 and logins[1] != logins[0]

        sim.clock.advance(TICKET_LIFETIME + 60)
        client.request("GET", "/pools")  # expired: a fresh password login
        assert len(logins) == 3

        sim.simulator.inject("expire-tickets")  # type: ignore[attr-defined]
        client.request("GET", "/pools")  # 401, one login, one retry
        assert len(logins) == 4
        client.request("DELETE", "/pools/e2e")


async def test_async_password_session(sim: Sim) -> None:
    auth = TicketAuth("root@pam", sim.password)
    logins = _logins(auth)
    async with AsyncProxmoxClient(sim.url, auth=auth, fingerprint=sim.fingerprint, clock=sim.clock) as client:
        await client.request("POST", "/pools", {"poolid": "e2e-async"})
        sim.clock.advance(RENEW_AFTER + 60)
        await client.request("PUT", "/pools", {"poolid": "e2e-async", "comment": "renewed"})
        assert len(logins) == 2


def test_realms_without_credentials(sim: Sim) -> None:
    with ProxmoxClient(sim.url, fingerprint=sim.fingerprint) as client:
        realms = {r["realm"] for r in client.realms()}
    assert {"pam", "pve"} <= realms
