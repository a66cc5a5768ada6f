"""One client per command (issue 24): ``AppContext.factory`` is called once, ``GET /version`` is asked once, and
the client is closed when the command ends (the factory is how tests inject a client)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.cli.context import AppContext, GlobalOptions
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from tests.conftest import FakeClock


@pytest.mark.parametrize(
    "args",
    [
        ("vm", "stop", "101", "--yes"),
        ("vm", "start", "100", "102", "--yes"),
        ("vm", "snapshot", "create", "100", "102", "nightly"),
        (
            "vm",
            "list",
        ),
    ],
)
def test_one_client_and_one_version_request_per_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    sim = Simulator(Store(tmp_path / "state.json", {"task_seconds": 0}))
    creds = credentials_of(sim.store.snapshot())
    inner = mock_transport(sim)
    seen: list[str] = []
    made: list[ProxmoxClient] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path.removeprefix('/api2/json')}")
        return inner.handle_request(request)

    def factory(options: GlobalOptions) -> ProxmoxClient:
        client = ProxmoxClient(
            "127.0.0.1:8006",
            token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
            transport=httpx.MockTransport(record),
            clock=FakeClock(),
        )
        made.append(client)
        return client

    monkeypatch.setattr(AppContext, "factory", factory)
    result = CliRunner().invoke(app, ["--sim", *args])
    assert result.exit_code == 0, result.stderr
    assert len(made) == 1
    assert seen.count("GET /version") <= 1, seen
    for client in made:
        client.close()


def test_the_real_client_is_closed_at_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[Any] = []

    class Fake:
        def close(self) -> None:
            closed.append(self)

    monkeypatch.setattr("pvectl.cli.connection.make_client", lambda options: Fake())
    probe = typer.Typer()

    @probe.command()
    def main(ctx: typer.Context) -> None:
        context = AppContext(GlobalOptions())
        assert context.client() is context.client()  # built once

    assert CliRunner().invoke(probe, []).exit_code == 0
    assert len(closed) == 1
