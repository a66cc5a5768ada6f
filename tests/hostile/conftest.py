"""Hostile servers and files: the simulator-backed CLI runner (`cli`) comes from tests/support; `rewriting_cli`
puts a rewriter between the CLI and the simulator, as the issue's loopback proxy did."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pvectl.cli.context import AppContext
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from tests.conftest import FakeClock
from tests.vm.conftest import SimCli

Handler = Callable[[httpx.Request], httpx.Response]


def rewriting_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: Callable[[httpx.Request, Handler], httpx.Response]
) -> Iterator[SimCli]:
    """The CLI against a fresh simulator whose every answer passes ``answer(request, simulator)`` first."""
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    sim = Simulator(Store(tmp_path / "state.json", {"task_seconds": 0}))
    creds = credentials_of(sim.store.snapshot())
    inner = mock_transport(sim)
    client = ProxmoxClient(
        "127.0.0.1:8006",
        token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
        transport=httpx.MockTransport(lambda request: answer(request, inner.handle_request)),
        clock=FakeClock(),
    )
    monkeypatch.setattr(AppContext, "client", lambda self: client)
    yield SimCli(sim)
    client.close()
