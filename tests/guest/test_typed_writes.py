"""What is shown is what is sent: every planned write goes out through its typed SDK method with exactly the
planned method, path and parameters (a recording fake PVE, no simulator, no terminal).

Plans keep their requests as data (``--dry-run`` prints them, outcomes and the faults tests name them); each
carries the typed call that sends it. This checks the two against each other for every operation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from pvectl.guest.run import Write
from pvectl.sdk import ProxmoxClient
from pvectl.vm.lookup import VmRef

UPID = f"UPID:pve1:0000AAAA:00000001:{int(time.time()):08X}:qmstart:100:root@pam:"

VM = VmRef(100, "pve1", "web", "running", (), {}, "qemu")
VM_STOPPED = VmRef(101, "pve1", "db", "stopped", (), {}, "qemu")
VM_HA = VmRef(102, "pve1", "ha", "running", (), {"hastate": "started"}, "qemu")
CT = VmRef(200, "pve1", "dns", "running", (), {}, "lxc")
CT_STOPPED = VmRef(201, "pve1", "cache", "stopped", (), {}, "lxc")

Sent = tuple[str, str, list[tuple[str, str]]]


class Recorder:
    """A fake PVE: every write is recorded (method, decoded path, parameters as sent) and answered a UPID;
    reads are answered with an empty list (a config with its digest)."""

    def __init__(self) -> None:
        self.writes: list[Sent] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            config = request.url.path.endswith("/config")  # a config read just before a write: its digest
            return httpx.Response(200, json={"data": {"digest": "abc123"} if config else []})
        body = parse_qsl(request.content.decode(), keep_blank_values=True)
        query = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        self.writes.append((request.method, request.url.path.removeprefix("/api2/json"), sorted(body or query)))
        return httpx.Response(200, json={"data": UPID})


def wire(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Planned parameters as PVE reads them off the wire (booleans 1/0, lists as repeated keys)."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            out.append((key, ("1" if item else "0") if isinstance(item, bool) else str(item)))
    return sorted(out)


def sent_by(send: Callable[[ProxmoxClient], Any]) -> Sent:
    rec = Recorder()
    client = ProxmoxClient("pve1", token="root@pam!t=s", server_version="9.1.3", transport=httpx.MockTransport(rec))
    with client:
        send(client)
    assert len(rec.writes) == 1, rec.writes  # one write, never two
    return rec.writes[0]


def by_submitter(cls: Any, plan: Any, step: Any) -> Callable[[ProxmoxClient], Any]:
    return lambda client: cls(client).send(plan, step)


# -- every Write of the guest operations --------------------------------------------------------------------------


def _writes() -> list[tuple[str, Write]]:
    from pvectl.backup.plan import RestoreRequest
    from pvectl.cli.commands.backup.restore import restore_write
    from pvectl.cli.moves import move_write
    from pvectl.ct import ops as ct
    from pvectl.guest.ops.power import ACTIONS, delete_write, power_write
    from pvectl.guest.ops.simple import resize_write, template_write
    from pvectl.guest.ops.snapshot import create_write, rollback_write
    from pvectl.guest.ops.snapshot import delete_write as delete_snapshot
    from pvectl.vm.clone import CloneRequest, clone_write
    from pvectl.vm.migrate import plan_move

    writes: list[tuple[str, Write]] = []
    for ref in (VM, CT):
        writes += [(f"{ref.kind} {action}", power_write(ref, action)) for action in ACTIONS]
        writes += [
            (f"{ref.kind} delete", delete_write(ref)),
            (f"{ref.kind} delete purge", delete_write(ref, purge=True)),
        ]
    writes += [
        ("vm delete ha", delete_write(VM_HA)),
        ("vm template", template_write(VM_STOPPED)),
        ("vm resize", resize_write(VM, {"disk": "scsi0", "size": "+8G"}, lambda config: True)),
        ("vm snapshot", create_write(VM, "nightly", description="before the upgrade", vmstate=True)),
        ("vm snapshot delete", delete_snapshot(VM, "nightly")),
        ("vm rollback", rollback_write(VM, "before-upgrade")),
        ("vm rollback start", rollback_write(VM, "before-upgrade", start=True)),
        ("ct snapshot", create_write(CT, "nightly", description="before the upgrade", vmstate=True)),
        ("ct snapshot delete", delete_snapshot(CT, "nightly")),
        ("ct rollback", rollback_write(CT, "nightly")),
        ("ct rollback start", rollback_write(CT, "nightly", start=True)),
        ("ct clone", ct.clone(CT_STOPPED, 210, {"hostname": "cache2", "full": 1, "storage": "local-lvm"})),
        ("ct template", ct.template(CT_STOPPED)),
        ("ct migrate running", ct.migrate(CT, "pve2", timeout=60)),
        ("ct migrate stopped", ct.migrate(CT_STOPPED, "pve2")),
        ("ct resize", ct.resize(CT, "mp0", "+2G", 10 * 1024**3)),
        ("ct set", ct.update(CT, {"memory": "1024", "net0": "name=eth0,bridge=vmbr0"}, ["mp1", "swap"], "0123abc")),
        ("vm clone", clone_write(VM, CloneRequest("pve1", 100, 150, False, {"newid": 150, "name": "web2",
                                                                             "full": 1, "target": "pve2"}, False), "cloned")),
        ("vm restore", restore_write(RestoreRequest("pve1", 300, "qemu", {"vmid": 300, "archive": "local:backup/vzdump-qemu-100.vma.zst",
                                                                         "storage": "local-lvm", "unique": 1, "force": 1}, None), "local:backup/x")),
        ("ct restore", restore_write(RestoreRequest("pve1", 301, "lxc", {"vmid": 301, "ostemplate": "local:backup/vzdump-lxc-200.tar.zst",
                                                                        "restore": 1, "storage": "local-lvm"}, None), "local:backup/x")),
    ]  # fmt: skip
    for name, ref, kwargs in (
        ("vm migrate online", VM, {"running": True}),
        ("vm migrate offline", VM_STOPPED, {"running": False, "with_local_disks": True, "target_storage": "local-lvm"}),
        ("vm migrate ha", VM_HA, {"running": True}),
        ("vm migrate ha relocate", VM_HA, {"running": True, "online": False}),
    ):
        writes.append((name, move_write(plan_move(ref, "pve2", **kwargs))))
    return writes


WRITES = _writes()


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[name for name, _ in WRITES])
def test_the_typed_call_sends_the_planned_request(name: str, write: Write) -> None:
    assert sent_by(write.send) == (write.method, write.path, wire(write.params))


# -- the workflows that send planned requests of their own ---------------------------------------------------------


def test_vm_set_and_resize_send_their_plan() -> None:
    from pvectl.vm.update import UpdatePlan, send_write

    plan = UpdatePlan(set={"cores": "4", "net1": "virtio,bridge=vmbr1"}, delete=["ide2"], resize=[("scsi0", "64G")])
    for running in (False, True):  # the sync PUT, or the async POST (a task) while the VM runs
        for method, path, params in plan.requests("pve1", 100, "cafe", running=running):
            assert sent_by(partial(send_write, ref=VM, method=method, path=path, params=params)) == (
                method,
                path,
                wire(params),
            )


def test_the_create_plan_steps_send_as_planned() -> None:
    from pvectl.vm.plan import Plan, PlannedRequest
    from pvectl.vm.submit import Submitter

    steps = [
        PlannedRequest("create", "POST", "/nodes/pve1/qemu", {"vmid": "100", "name": "web", "memory": "2048",
                       "net0": "virtio,bridge=vmbr0", "scsi0": "local-lvm:32", "allow-ksm": "0"}, "create"),
        PlannedRequest("cloudinit", "PUT", "/nodes/pve1/qemu/100/cloudinit", {}, "regenerate"),
        PlannedRequest("ha", "POST", "/cluster/ha/resources", {"sid": "vm:100", "state": "stopped"}, "ha"),
        PlannedRequest("start", "POST", "/nodes/pve1/qemu/100/status/start", {}, "start"),
    ]  # fmt: skip
    plan = Plan("pve1", 100, "9.1.3", steps)
    for step in steps:
        got = sent_by(by_submitter(Submitter, plan, step))
        assert got == (step.method, step.path, wire(step.params))


def test_the_container_create_plan_sends_as_planned() -> None:
    from pvectl.ct.workflow import CtSubmitter
    from pvectl.vm.plan import Plan, PlannedRequest

    create = PlannedRequest("create", "POST", "/nodes/pve1/lxc", {"vmid": "200", "hostname": "dns",
                            "ostemplate": "local:vztmpl/debian-12.tar.zst", "net0": "name=eth0,bridge=vmbr0",
                            "ssh-public-keys": "ssh-ed25519 AAAA"}, "create")  # fmt: skip
    start = PlannedRequest("start", "POST", "/nodes/pve1/lxc/200/status/start", {}, "start")
    plan = Plan("pve1", 200, "9.1.3", [create, start])
    for step in (create, start):
        assert sent_by(by_submitter(CtSubmitter, plan, step)) == (step.method, step.path, wire(step.params))


def test_vzdump_sends_its_plan() -> None:
    from pvectl.backup.plan import VzdumpRequest
    from pvectl.backup.run import send_vzdump

    req = VzdumpRequest("pve1", (), {"vmid": "100,101", "storage": "backup", "mode": "snapshot",
                                     "prune-backups": "keep-last=3", "notes-template": "{{guestname}}"})  # fmt: skip
    assert sent_by(lambda c: send_vzdump(c, req)) == ("POST", req.path, wire(req.params))


def test_agent_commands_are_typed() -> None:
    from pvectl.vm.guest import agent_call

    params = {"command": ["sh", "-c", "uptime"], "input-data": "x"}
    got = sent_by(lambda c: agent_call(c, "pve1", 100, "POST", "exec", params))
    assert got == ("POST", "/nodes/pve1/qemu/100/agent/exec", wire(params))
    with pytest.raises(ValueError, match="no guest agent command"):
        sent_by(lambda c: agent_call(c, "pve1", 100, "GET", "exec", params))  # exec is a POST


def test_the_wizard_retries_a_step_as_the_submitter_sends_it() -> None:
    """The TUI's retry of a failed post-create step: the cloud-init image and HA resource by their typed calls,
    the cloud-init password with the digest read just before (never the plan's placeholder)."""
    from pvectl.tui.services import Session
    from pvectl.vm.plan import Plan, PlannedRequest

    steps = [
        PlannedRequest("cloudinit", "PUT", "/nodes/pve1/qemu/100/cloudinit", {}, "regenerate"),
        PlannedRequest("ha", "POST", "/cluster/ha/resources", {"sid": "vm:100", "state": "started"}, "ha"),
        PlannedRequest("cipassword", "PUT", "/nodes/pve1/qemu/100/config",
                       {"cipassword": "s3cret", "digest": "<read just before>"}, "password"),
    ]  # fmt: skip
    plan = Plan("pve1", 100, "9.1.3", steps)
    for step in steps[:2]:
        assert sent_by(by_session(Session, plan, step.step)) == (step.method, step.path, wire(step.params))
    method, path, sent = sent_by(by_session(Session, plan, "cipassword"))
    assert (method, path, dict(sent)) == (
        "PUT",
        "/nodes/pve1/qemu/100/config",
        {"cipassword": "s3cret", "digest": "abc123"},
    )


def by_session(cls: Any, plan: Any, step: str) -> Callable[[ProxmoxClient], Any]:
    return lambda client: cls(client).finish(step, plan)
