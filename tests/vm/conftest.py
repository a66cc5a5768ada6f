"""`pvectl vm ...` in-process against the simulator mounted on a mock transport (same answers as HTTPS)."""

from __future__ import annotations

import json
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
from tests.conftest import FakeClock

R = TypeVar("R", bound="SimCli")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class SimCli:
    sim: Simulator
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, *args: str, stdin: str | None = None) -> Run:
        result = CliRunner().invoke(app, ["--sim", *args], input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    def writes(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix('/api2/json')}" for r in self.requests if r.method != "GET"]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimCli]:
    yield from sim_cli(tmp_path, monkeypatch)


def sim_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **seed: Any) -> Iterator[SimCli]:
    """A SimCli on a fresh simulator; ``seed`` overrides its world (e.g. ``version="8.4.0"``)."""
    yield from mount(tmp_path, monkeypatch, {"task_seconds": 0, **seed}, SimCli, clock=FakeClock())


def mount(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: dict[str, Any],
    make: Callable[[Simulator], R],
    *,
    clock: Any = None,
) -> Iterator[R]:
    """The CLI's client replaced by one on a mock transport into a simulator seeded with ``seed``; every request
    is recorded on the runner ``make`` builds (``clock``: the SDK's, e.g. a FakeClock; the real one when None)."""
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    sim = Simulator(Store(tmp_path / "state.json", seed))
    creds = credentials_of(sim.store.snapshot())
    runner = make(sim)
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
