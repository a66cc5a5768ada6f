"""The wizard against the simulator on a mock transport (the ``cli`` fixture comes from tests/support)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
from textual.pilot import Pilot

from pvectl.sdk import ProxmoxClient, SecondFactorRequired, TicketAuth
from pvectl.sim.core import Simulator
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from pvectl.tui.app import WizardApp
from pvectl.tui.services import Session
from pvectl.tui.state import Wizard
from pvectl.vm.config import VmConfig
from pvectl.vm.reference import Ref
from tests.support.clock import FakeClock
from tests.support.simcli import sim_client as support_sim_client

Handler = Callable[[httpx.Request], httpx.Response | None]


def sim_client(sim: Simulator, *, hook: Handler | None = None, **auth: Any) -> ProxmoxClient:
    """A client of ``sim``; ``hook`` may answer a request instead of the simulator (None = pass it on)."""
    return support_sim_client(sim, hook=hook, clock=FakeClock(), retries=0, **auth)


def empty_sim() -> Simulator:
    """A world without ISO images."""
    return Simulator(Store(None, {"task_seconds": 0, "volumes": []}))


class SimConnector:
    """Logs in to the simulator with a password, the way CliConnector does to a real server."""

    server = "127.0.0.1:8006"
    user = "root"

    def __init__(self, sim: Simulator, *, otp: str | None = None) -> None:
        self.sim = sim
        self.otp = otp  # when set, the "server" asks for this second factor first
        self.logins: list[tuple[str, str, str | None]] = []

    def realms(self, server: str) -> list[dict[str, Any]]:
        return sim_client(self.sim).realms()

    def login(self, server: str, user: str, realm: str, password: str, otp: str | None) -> ProxmoxClient:
        self.logins.append((user, realm, otp))
        if self.otp is not None and otp != self.otp:
            raise SecondFactorRequired(f"{user}@{realm} needs a second factor (totp)", frozenset({"totp"}))
        auth = TicketAuth(user, password, realm=realm)
        client = sim_client(self.sim, auth=auth)
        client.login()
        return client


class GatedSession(Session):
    """Reference data that waits for ``gate`` (to show the loading state)."""

    def __init__(self, client: ProxmoxClient) -> None:
        super().__init__(client)
        self.gate = threading.Event()

    def load(self, source: str, *args: str) -> Ref[Any]:
        self.gate.wait(30)  # a budget, not a delay: the test opens the gate (a loaded machine took > 2 s to start)
        return super().load(source, *args)


def password_of(sim: Simulator) -> str:
    return credentials_of(sim.store.snapshot())["password"]


def make_app(
    sim: Simulator,
    config: VmConfig | None = None,
    *,
    login: bool = False,
    dry_run: bool = False,
    hook: Handler | None = None,
    session: Session | None = None,
) -> WizardApp:
    if session is None:
        session = Session(connector=SimConnector(sim)) if login else Session(sim_client(sim, hook=hook))
    return WizardApp(Wizard(config or VmConfig()), session, dry_run=dry_run)


async def settle(pilot: Pilot[Any], rounds: int = 4) -> None:
    """Let workers finish and their results land (a load may start further loads)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.005)
        if not any(w.is_running for w in pilot.app.workers):
            return


async def until(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 10) -> None:
    from textual.css.query import NoMatches

    for _ in range(int(seconds / 0.02)):
        try:
            if condition():
                return
        except NoMatches:  # the screen is still being composed
            pass
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")
