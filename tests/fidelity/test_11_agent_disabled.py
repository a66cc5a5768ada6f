"""Item 11: ``agent: 0``.

PVE: qemu-server src/PVE/QemuServer/Agent.pm ``assert_agent_available``: only a config without the ``agent`` key
is "No QEMU guest agent configured"; with ``agent: 0`` QEMU runs without the agent's socket and the answer is
"QEMU guest agent is not running", the same as while a guest boots. pvectl reads the config and says the agent
is disabled at once instead of polling to its timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import ApiError
from tests.fidelity.conftest import Pve, seeded


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    vms = [
        {"vmid": 100, "node": "pve1", "name": "off", "status": "running", "config": {"memory": "512", "agent": "0"}},
        {"vmid": 101, "node": "pve1", "name": "none", "status": "running", "config": {"memory": "512"}},
    ]
    yield from seeded(tmp_path, monkeypatch, nodes=["pve1"], vms=vms)


def test_the_simulator_answers_as_assert_agent_available(pve: Pve) -> None:
    with pytest.raises(ApiError) as off:
        pve.client.request("POST", "/nodes/pve1/qemu/100/agent/ping")
    assert off.value.message == "QEMU guest agent is not running"
    with pytest.raises(ApiError) as none:
        pve.client.request("POST", "/nodes/pve1/qemu/101/agent/ping")
    assert none.value.message == "No QEMU guest agent configured"


@pytest.mark.parametrize(("what", "asks"), [("agent", "/agent/ping"), ("ip", "/agent/network-get-interfaces")])
def test_vm_wait_says_the_agent_is_disabled_at_once(pve: Pve, what: str, asks: str) -> None:
    run = pve("vm", "wait", "100", "--for", what, "--timeout", "5m")
    assert run.code != 0 and run.code != 7  # not the timeout
    assert "guest agent disabled" in run.stderr
    assert len([r for r in pve.requests if r.url.path.endswith(asks)]) == 1
