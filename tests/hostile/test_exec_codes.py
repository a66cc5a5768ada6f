"""`vm exec` never exits 0 for a failed guest command: codes a process status cannot carry exit 255, with the real
code printed (a guest agent answering 256, 512, a Windows 32-bit code, a negative or non-numeric code)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pvectl.cli.context import AppContext
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from pvectl.vm.guest import EXEC_OUT_OF_RANGE, ExecResult
from tests.vm.conftest import SimCli
from tests.vm.guest_kit import SharedClock


class Agent:
    """What the guest agent's exec-status answers for ``exitcode`` (None: the simulator's own)."""

    exitcode: Any = None


@pytest.fixture
def agent() -> Agent:
    return Agent()


@pytest.fixture
def gcli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agent: Agent) -> Iterator[SimCli]:
    clock = SharedClock()
    sim = Simulator(Store(tmp_path / "state.json", {"task_seconds": 1}), clock=clock)
    creds = credentials_of(sim.store.snapshot())
    runner = SimCli(sim)
    inner = mock_transport(sim)

    def rewrite(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        if agent.exitcode is None or not request.url.path.endswith("/agent/exec-status"):
            return response
        body = json.loads(response.read())
        if body.get("data", {}).get("exited"):
            body["data"]["exitcode"] = agent.exitcode
        return httpx.Response(response.status_code, json=body)

    client = ProxmoxClient(
        "127.0.0.1:8006",
        token=f"root@pam!{creds['token_id']}={creds['token_secret']}",
        transport=httpx.MockTransport(rewrite),
        clock=clock,
    )
    monkeypatch.setattr(AppContext, "client", lambda self: client)
    assert runner("vm", "create", "--node", "pve1", "--name", "box", "--start").code == 0
    clock.now += 10  # the agent is up
    yield runner
    client.close()


@pytest.mark.parametrize(
    ("reported", "code", "shown"),
    [
        (0, 0, None),
        (1, 1, None),
        (255, 255, None),
        (256, EXEC_OUT_OF_RANGE, "256"),
        (512, EXEC_OUT_OF_RANGE, "512"),
        (3221225477, EXEC_OUT_OF_RANGE, "0xC0000005"),  # a Windows access violation
        (-1, EXEC_OUT_OF_RANGE, "-1"),
        ("3", 3, None),
        ("oops", EXEC_OUT_OF_RANGE, "'oops'"),
        ([1], EXEC_OUT_OF_RANGE, "[1]"),
        (1.5, EXEC_OUT_OF_RANGE, "1.5"),
    ],
)
def test_every_nonzero_guest_code_exits_nonzero(
    gcli: SimCli, agent: Agent, reported: Any, code: int, shown: str
) -> None:
    agent.exitcode = reported
    run = gcli("vm", "exec", "box", "--", "echo", "hi")
    assert run.code == code, run.stderr
    assert run.stdout == "hi\n"
    assert "internal error" not in run.stderr
    if shown is None:
        assert "pvectl:" not in run.stderr
    else:
        assert shown in run.stderr and f"exiting {EXEC_OUT_OF_RANGE}" in run.stderr


def test_json_output_keeps_the_real_code(gcli: SimCli, agent: Agent) -> None:
    agent.exitcode = 3221225477
    run = gcli("vm", "exec", "box", "-o", "json", "--", "true")
    assert run.code == EXEC_OUT_OF_RANGE
    assert run.json()["exitcode"] == 3221225477


def test_a_signal_exits_128_plus_its_number() -> None:
    assert ExecResult(128 + 9, "", "", 9).exit_status() == (137, None)
    assert ExecResult(None, "", "", "KILL").exit_status()[0] == EXEC_OUT_OF_RANGE


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"x" * (64 * 1024 + 1), "more than 64 Ki characters, the most PVE's agent exec takes"),
        ("\u00e9".encode() * (64 * 1024 + 1), "more than 64 Ki characters"),
        (bytes(range(256)), "not UTF-8 text (byte 0x80 at 128)"),
    ],
)
def test_input_is_read_only_as_far_as_pve_takes_it(gcli: SimCli, tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "in"
    path.write_bytes(content)
    run = gcli("vm", "exec", "box", "--input", str(path), "--", "cat")
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and f"--input {path}: {says}" in run.stderr, run.stderr
    path.write_bytes("\u00e9".encode() * 64 * 1024)  # exactly the most PVE takes (128 KiB as UTF-8): sent
    assert gcli("vm", "exec", "box", "--input", str(path), "--", "cat").code == 0


def test_input_from_dev_zero_stops_at_the_cap(gcli: SimCli) -> None:
    run = gcli("vm", "exec", "box", "--input", "/dev/zero", "--", "cat")  # read forever before
    assert run.code == 2 and "more than 64 Ki characters" in run.stderr
