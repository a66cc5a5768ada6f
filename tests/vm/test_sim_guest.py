"""The simulator's clone, template and guest agent endpoints, through the SDK's raw requests."""

from __future__ import annotations

from typing import Any

import pytest

from pvectl.sdk import ApiError, TaskFailed
from pvectl.sim.faults import parse_fault
from tests.vm.conftest import SimCli
from tests.vm.guest_kit import SharedClock, clock_fixture, gcli_fixture  # noqa: F401 (fixtures)


def _client(cli: SimCli) -> Any:
    from pvectl.cli.context import AppContext

    return AppContext.client(None)  # type: ignore[arg-type]


def _wait(client: Any, upid: str) -> dict[str, Any]:
    from pvectl.sdk import Task

    return dict(Task(client, upid).wait(timeout=60))


def _make(gcli: SimCli, name: str, *extra: str) -> int:
    run = gcli("vm", "create", "--node", "pve1", "--name", name, "-o", "json", *extra)
    assert run.code == 0, run.stderr
    return int(run.json()["vmid"])


def test_template_then_linked_and_full_clone(gcli: SimCli) -> None:
    c = _client(gcli)
    vmid = _make(gcli, "tpl", "--disk", "local-lvm:8")
    _wait(c, c.request("POST", f"/nodes/pve1/qemu/{vmid}/template"))
    config = c.request("GET", f"/nodes/pve1/qemu/{vmid}/config")
    assert config["template"] == 1 or config["template"] == "1"
    assert f"base-{vmid}-disk-0" in config["scsi0"]
    _wait(c, c.request("POST", f"/nodes/pve1/qemu/{vmid}/clone", {"newid": 901, "name": "lnk"}))
    linked = c.request("GET", "/nodes/pve1/qemu/901/config")
    assert f"local-lvm:base-{vmid}-disk-0/vm-901-disk-0" in linked["scsi0"]
    assert linked["net0"] != config["net0"]  # a new MAC
    _wait(c, c.request("POST", f"/nodes/pve1/qemu/{vmid}/clone", {"newid": 902, "name": "fl", "full": 1}))
    assert "local-lvm:vm-902-disk-0" in c.request("GET", "/nodes/pve1/qemu/902/config")["scsi0"]
    with pytest.raises(ApiError, match="already exists"):
        c.request("POST", f"/nodes/pve1/qemu/{vmid}/clone", {"newid": 902})


def test_linked_clone_of_a_plain_vm_fails_in_the_task(gcli: SimCli) -> None:
    c = _client(gcli)
    vmid = _make(gcli, "plain", "--disk", "local-lvm:8")
    with pytest.raises(TaskFailed, match="clone_image only works on base images"):
        _wait(c, c.request("POST", f"/nodes/pve1/qemu/{vmid}/clone", {"newid": 903, "full": 0}))
    assert not any(v["vmid"] == 903 for v in c.request("GET", "/cluster/resources", {"type": "vm"}))


def test_template_refuses_a_running_vm(gcli: SimCli) -> None:
    c = _client(gcli)
    vmid = _make(gcli, "busy", "--start")
    with pytest.raises(ApiError, match="if VM is running"):
        c.request("POST", f"/nodes/pve1/qemu/{vmid}/template")


def test_agent_boots_then_reports_an_address(gcli: SimCli, clock: SharedClock) -> None:
    c = _client(gcli)
    vmid = _make(gcli, "guest", "--agent", "--start")
    base = f"/nodes/pve1/qemu/{vmid}/agent"
    clock.now += 2.5
    assert c.request("POST", f"{base}/ping") == {"result": {}}
    eth = c.request("GET", f"{base}/network-get-interfaces")["result"][1]
    assert [a["ip-address-type"] for a in eth["ip-addresses"]] == ["ipv6"]  # link-local only so far
    clock.now += 5
    eth = c.request("GET", f"{base}/network-get-interfaces")["result"][1]
    assert eth["ip-addresses"][0]["ip-address"].startswith("192.0.2.")
    pid = c.request("POST", f"{base}/exec", {"command": ["sh", "-c", "exit 42"]})["pid"]
    assert c.request("GET", f"{base}/exec-status", {"pid": pid}) == {"exited": 0}
    clock.now += 1
    assert c.request("GET", f"{base}/exec-status", {"pid": pid})["exitcode"] == 42


def test_agent_errors(gcli: SimCli, clock: SharedClock) -> None:
    c = _client(gcli)
    plain = _make(gcli, "noagent", "--no-agent", "--start")
    with pytest.raises(ApiError, match="No QEMU guest agent configured"):
        c.request("POST", f"/nodes/pve1/qemu/{plain}/agent/ping")
    vmid = _make(gcli, "quiet", "--agent", "--start")
    clock.now += 10
    gcli.sim.faults.add(parse_fault(f"agent:vmid={vmid},state=no-exec"))
    assert c.request("POST", f"/nodes/pve1/qemu/{vmid}/agent/ping") == {"result": {}}
    with pytest.raises(ApiError, match="guest-exec has been disabled"):
        c.request("POST", f"/nodes/pve1/qemu/{vmid}/agent/exec", {"command": ["true"]})
