"""CLI fixtures: run `pvectl` in-process against a client on an httpx mock transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.sdk import ProxmoxClient
from tests.conftest import TOKEN
from tests.support.clock import FakeClock
from tests.support.run import Run
from tests.support.simcli import use_client

UPID = "UPID:pve1:0000ABCD:0001E240:6560F000:qmcreate:101:root@pam:"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class MockPve:
    """A scripted PVE: routes "VERB /path" (relative to /api2/json) to JSON data or a handler; records requests."""

    routes: dict[str, Any] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/api2/json")
        key = f"{request.method} {path}"
        if key not in self.routes:
            return httpx.Response(404, json={"data": None, "message": f"no route {key}"})
        route = self.routes[key]
        if callable(route):
            response: httpx.Response = route(request)
            return response
        return httpx.Response(200, json={"data": route})

    def sent(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix('/api2/json')}" for r in self.requests]

    @staticmethod
    def form(request: httpx.Request) -> list[tuple[str, str]]:
        return parse_qsl(request.content.decode(), keep_blank_values=True)


@pytest.fixture
def pve(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockPve]:
    mock = MockPve()
    client = ProxmoxClient(
        "pve1", token=TOKEN, server_version="9.1.3", clock=FakeClock(), transport=httpx.MockTransport(mock.handle)
    )
    use_client(monkeypatch, client)
    yield mock
    client.close()


Result = Run  # exit_code, stdout, stderr, json()


@pytest.fixture
def run() -> Callable[..., Result]:
    """Run `pvectl ARGS` in-process (stdout is not a terminal: auto output is JSON)."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return invoke
