"""The simulator mounted under the CLI: `pvectl ...` runs in this process, its client talks to a Simulator
through a mock transport (the same answers as over HTTPS, without sockets), every request is recorded.

``use_client`` is the one place that swaps the CLI's client (``AppContext.client``) for a test's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.cli.context import AppContext
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from tests.support.clock import FakeClock
from tests.support.run import Run

R = TypeVar("R", bound="SimCli")
Hook = Callable[[httpx.Request], httpx.Response | None]


@dataclass
class SimCli:
    """``cli("vm", "list")`` runs ``pvectl --sim vm list`` in-process against ``sim``."""

    sim: Simulator
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, *args: str, stdin: str | None = None) -> Run:
        return invoke("--sim", *args, stdin=stdin)

    def writes(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix('/api2/json')}" for r in self.requests if r.method != "GET"]


def invoke(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Run:
    """``pvectl ARGS`` in-process; an exception other than an exit is raised, not turned into output."""
    result = CliRunner().invoke(app, list(args), input=stdin, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def token_of(sim: Simulator) -> str:
    creds = credentials_of(sim.store.snapshot())
    return f"root@pam!{creds['token_id']}={creds['token_secret']}"


def sim_client(
    sim: Simulator,
    *,
    hook: Hook | None = None,
    record: list[httpx.Request] | None = None,
    clock: Any = None,
    host: str = "127.0.0.1:8006",
    **options: Any,
) -> ProxmoxClient:
    """A client of ``sim`` on a mock transport. ``hook`` may answer a request instead of the simulator (None: pass
    it on); ``record`` collects every request; ``options`` go to ProxmoxClient (auth, retries ...; the
    simulator's API token unless an auth is given)."""
    inner = mock_transport(sim)

    def handle(request: httpx.Request) -> httpx.Response:
        if record is not None:
            record.append(request)
        answer = hook(request) if hook else None
        return answer if answer is not None else inner.handle_request(request)

    if not {"token", "auth", "user", "password"} & options.keys():
        options["token"] = token_of(sim)
    return ProxmoxClient(host, transport=httpx.MockTransport(handle), clock=clock, **options)


def use_client(monkeypatch: pytest.MonkeyPatch, client: ProxmoxClient) -> None:
    """Every `pvectl` run of this test uses ``client`` instead of connecting."""
    monkeypatch.setattr(AppContext, "client", lambda self: client)


def mount(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: dict[str, Any] | Simulator,
    make: Callable[[Simulator], R],
    *,
    clock: Any = None,
) -> Iterator[R]:
    """The CLI's client replaced by one on a mock transport into a simulator seeded with ``seed`` (or that
    simulator); every request is recorded on the runner ``make`` builds (``clock``: the SDK's, e.g. a FakeClock;
    the real one when None)."""
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    sim = seed if isinstance(seed, Simulator) else Simulator(Store(tmp_path / "state.json", seed))
    runner = make(sim)
    client = sim_client(sim, record=runner.requests, clock=clock)
    use_client(monkeypatch, client)
    yield runner
    client.close()


def sim_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **seed: Any) -> Iterator[SimCli]:
    """A SimCli on a fresh simulator; ``seed`` overrides its world (e.g. ``version="8.4.0"``)."""
    yield from mount(tmp_path, monkeypatch, {"task_seconds": 0, **seed}, SimCli, clock=FakeClock())
