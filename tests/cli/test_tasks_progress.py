"""Task waiting shows a spinner only on a terminal."""

from __future__ import annotations

import io
import sys

import httpx
import pytest

from pvectl.cli.tasks import wait_for
from pvectl.sdk import ProxmoxClient, TaskFailed
from tests.cli.conftest import UPID, MockPve
from tests.conftest import TOKEN, FakeClock


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _client(mock: MockPve) -> ProxmoxClient:
    return ProxmoxClient(
        "pve1", token=TOKEN, server_version="9.1.3", clock=FakeClock(), transport=httpx.MockTransport(mock.handle)
    )


def _answers(mock: MockPve, states: list[dict[str, str]]) -> None:
    def status(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": states.pop(0) if len(states) > 1 else states[0]})

    mock.routes[f"GET /nodes/pve1/tasks/{UPID}/status"] = status
    mock.routes[f"GET /nodes/pve1/tasks/{UPID}/log"] = [{"n": 1, "t": "disk full"}]


def test_spinner_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    mock = MockPve()
    _answers(mock, [{"status": "running"}, {"status": "running"}, {"status": "stopped", "exitstatus": "OK"}])
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    status = wait_for(_client(mock), UPID)
    assert status["exitstatus"] == "OK"
    assert status["upid"] == UPID
    assert len([r for r in mock.sent() if r.endswith("/status")]) == 3


def test_quiet_when_piped_and_failure_carries_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    mock = MockPve()
    _answers(mock, [{"status": "stopped", "exitstatus": "disk full"}])
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with pytest.raises(TaskFailed) as failed:
        wait_for(_client(mock), UPID)
    assert failed.value.log_tail == ["disk full"]
    assert piped.getvalue() == ""
