"""The submitter's outcomes: success, VMID races, task failure, partial success with a remedy."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from urllib.parse import parse_qsl

import httpx

from pvectl.sdk import ProxmoxClient
from pvectl.vm.config import VmConfig, assign_devices
from pvectl.vm.submit import Event, Submitter
from tests.conftest import FakeClock


def upid(vmid: object, kind: str = "qmcreate") -> str:
    return f"UPID:pve1:0000A1B2:0001C3D4:6740AB12:{kind}:{vmid}:root@pam:"


class FakePve:
    """Just enough PVE for the create sequence; hooks change single answers."""

    def __init__(self) -> None:
        self.vms: set[int] = set()
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.nextid = 101
        self.task_exit = "OK"
        self.fail: dict[tuple[str, str], tuple[int, str]] = {}
        self.steal_next_create = 0  # create answers "already exists" this many times

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api2/json")
        params = dict(parse_qsl(request.content.decode())) if request.content else dict(request.url.params)
        self.calls.append((request.method, path, params))
        if (request.method, path) in self.fail:
            status, message = self.fail[(request.method, path)]
            return httpx.Response(status, json={"data": None, "message": message})
        if path == "/cluster/nextid":
            return httpx.Response(200, json={"data": str(self.nextid)})
        if request.method == "POST" and path == "/nodes/pve1/qemu":
            vmid = int(params["vmid"])
            if self.steal_next_create:
                self.steal_next_create -= 1
                self.nextid += 1
                return httpx.Response(500, json={"data": None, "message": f"VM {vmid} already exists on node 'pve2'\n"})
            self.vms.add(vmid)
            return httpx.Response(200, json={"data": upid(vmid)})
        if "/tasks/" in path and path.endswith("/status"):
            return httpx.Response(200, json={"data": {"status": "stopped", "exitstatus": self.task_exit}})
        if "/tasks/" in path and path.endswith("/log"):
            return httpx.Response(200, json={"data": [{"n": 1, "t": "TASK ERROR: storage full"}]})
        if path.endswith("/config") and request.method == "GET":
            return httpx.Response(200, json={"data": {"digest": "a" * 40}})
        if path.endswith("/config") and request.method == "PUT":
            return httpx.Response(200, json={"data": None})
        if path.endswith("/status/start"):
            return httpx.Response(200, json={"data": upid(params.get("vmid", 101), "qmstart")})
        if path == "/cluster/ha/resources":
            return httpx.Response(200, json={"data": None})
        return httpx.Response(404, json={"data": None, "message": f"no handler for {path}"})


def config(vmid: int | None = 101, **changes: object) -> VmConfig:
    cfg = VmConfig()
    cfg.general.node = "pve1"
    cfg.general.vmid = vmid
    cfg.os.iso = "cephfs:iso/nixos-minimal-25.05.1.a-x86_64-linux.iso"
    cfg.disks = assign_devices(cfg.disks)
    for key, value in changes.items():
        setattr(cfg, key, value)
    return cfg


def run(pve: FakePve, cfg: VmConfig, version: str = "9.1.3", auto: bool = False) -> tuple[object, list[Event]]:
    events: list[Event] = []
    with ProxmoxClient(
        "pve1", token="root@pam!t=s", server_version=version, transport=httpx.MockTransport(pve), clock=FakeClock()
    ) as c:
        outcome = Submitter(c, on_event=events.append).submit(cfg, version, auto_vmid=auto)
    return outcome, events


def steps(pve: FakePve) -> list[str]:
    return [f"{m} {p}" for m, p, _ in pve.calls if "/tasks/" not in p]


def test_success_runs_the_whole_sequence() -> None:
    pve = FakePve()
    outcome, events = run(pve, config(start=True))
    assert outcome.kind == "created" and outcome.vmid == 101  # type: ignore[attr-defined]
    assert steps(pve) == [
        "POST /nodes/pve1/qemu",
        "GET /nodes/pve1/qemu/101/config",
        "PUT /nodes/pve1/qemu/101/config",
        "POST /nodes/pve1/qemu/101/status/start",
    ]
    put = next(p for m, path, p in pve.calls if m == "PUT")
    assert put == {"serial0": "socket", "vga": "serial0", "digest": "a" * 40}
    assert [(e.step, e.state) for e in events if e.state in ("done", "failed")] == [
        ("create", "done"),
        ("serial", "done"),
        ("start", "done"),
    ]


def test_auto_vmid_taken_meanwhile_is_retried() -> None:
    pve = FakePve()
    pve.steal_next_create = 2
    outcome, _ = run(pve, config(), auto=True)
    creates = [int(p["vmid"]) for m, path, p in pve.calls if m == "POST" and path == "/nodes/pve1/qemu"]
    assert len(creates) == 3 and creates[0] == 101
    # each candidate lies above the taken one (with jitter), never asked from /cluster/nextid again
    assert all(1 <= b - a <= 8 for a, b in itertools.pairwise(creates))
    assert not any(path == "/cluster/nextid" for _, path, _ in pve.calls)
    assert outcome.kind == "created" and outcome.vmid == creates[-1]  # type: ignore[attr-defined]


def test_auto_vmid_gives_up_after_bounded_tries() -> None:
    pve = FakePve()
    pve.steal_next_create = 1000
    outcome, _ = run(pve, config(), auto=True)
    assert outcome.kind == "nothing-created"  # type: ignore[attr-defined]
    assert len([1 for m, p, _ in pve.calls if m == "POST"]) == 20


def test_user_vmid_taken_is_a_clear_error() -> None:
    pve = FakePve()
    pve.steal_next_create = 1
    outcome, _ = run(pve, config(), auto=False)
    assert outcome.kind == "nothing-created"  # type: ignore[attr-defined]
    assert "already exists" in outcome.message and "--vmid" in outcome.message  # type: ignore[attr-defined]
    assert outcome.exit_code == 1  # type: ignore[attr-defined]  # sent and refused: not 2 ("nothing sent")
    assert outcome.errors == {"vmid": "VM 101 was taken meanwhile by another VM"}  # type: ignore[attr-defined]
    assert len([1 for m, p, _ in pve.calls if m == "POST"]) == 1


def test_create_task_failure() -> None:
    pve = FakePve()
    pve.task_exit = "unable to create VM 101 - storage full"
    outcome, _ = run(pve, config())
    assert outcome.kind == "task-failed"  # type: ignore[attr-defined]
    assert outcome.log_tail == ["TASK ERROR: storage full"]  # type: ignore[attr-defined]
    assert "PUT /nodes/pve1/qemu/101/config" not in steps(pve)


def test_serial_failure_is_partial_success_with_remedy() -> None:
    pve = FakePve()
    pve.fail[("PUT", "/nodes/pve1/qemu/101/config")] = (500, "VM is locked (create)")
    outcome, _ = run(pve, config(start=True))
    assert outcome.kind == "partial" and outcome.vmid == 101  # type: ignore[attr-defined]
    assert outcome.missing == ["serial console", "VM start"]  # type: ignore[attr-defined]
    assert outcome.remedies == ["pvectl vm serial-console enable 101", "pvectl vm start 101"]  # type: ignore[attr-defined]


def test_ha_fallback_on_older_server() -> None:
    pve = FakePve()
    outcome, _ = run(pve, config(), version="8.4.0")
    assert outcome.kind == "created"  # type: ignore[attr-defined]
    ha = [p for m, path, p in pve.calls if path == "/cluster/ha/resources"]
    assert ha == [{"sid": "vm:101", "state": "stopped"}]
    create = next(p for m, path, p in pve.calls if path == "/nodes/pve1/qemu")
    assert "ha-managed" not in create


def test_rejected_create_keeps_per_field_errors() -> None:
    pve = FakePve()
    handler: Callable[[httpx.Request], httpx.Response] = pve

    def reject(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/qemu"):
            return httpx.Response(400, json={"data": None, "errors": {"net0": "bridge 'vmbr9' does not exist"}})
        return handler(request)

    events: list[Event] = []
    with ProxmoxClient(
        "pve1", token="root@pam!t=s", server_version="9.1.3", transport=httpx.MockTransport(reject)
    ) as c:
        outcome = Submitter(c, on_event=events.append).submit(config(), "9.1.3", auto_vmid=False)
    assert outcome.kind == "nothing-created"
    assert outcome.errors == {"net0": "bridge 'vmbr9' does not exist"}
