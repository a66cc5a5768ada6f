"""Clone a VM: choose full or linked like the web GUI, pick the new id, send the clone, follow its task.

PVE (qemu-server PVE::API2::Qemu ``clone_vm``): ``full`` defaults to "the source is not a template"; linked
clones exist only of templates and need a storage whose plugin can clone base images; ``storage`` and
``format`` are refused for linked clones. The GUI's clone dialog (pve-manager www/manager6/window/Clone.js)
offers linked for templates and full otherwise; we also fall back to full when a disk's storage cannot clone.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvectl.vm.outcome import Outcome, follow

if TYPE_CHECKING:
    from pvectl.guest.run import Write
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.cloudinit import CloudInit
    from pvectl.vm.lookup import VmRef

# Storage types whose plugin can clone a base image (volume_has_feature 'clone' in PVE::Storage::Plugin for
# file storages -- the clone is a qcow2 overlay --, LvmThinPlugin, ZFSPoolPlugin, RBDPlugin, BTRFSPlugin).
LINKED_TYPES = frozenset({"dir", "nfs", "cifs", "glusterfs", "lvmthin", "zfspool", "rbd", "btrfs"})
FORMATS = ("raw", "qcow2", "vmdk")
DRIVE_PREFIXES = ("ide", "sata", "scsi", "virtio", "efidisk", "tpmstate")


class CloneProblem(ValueError):
    """Bad input found before anything is sent; the message names the flag."""


@dataclass
class CloneRequest:
    node: str
    source: int
    newid: int
    auto_vmid: bool
    params: dict[str, Any]
    linked: bool
    start: bool = False
    notes: list[str] = field(default_factory=list)
    cloud: CloudInit | None = None
    source_config: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/nodes/{self.node}/qemu/{self.source}/clone"

    def requests(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{"method": "POST", "path": self.path, "params": dict(self.params)}]
        target = self.params.get("target", self.node)
        if self.cloud is not None:
            from pvectl.vm.cloudinit import MASKED, requests

            config = {k: v for k, v in self.source_config.items() if k != "digest"}  # the clone's config
            for request in requests(config, target, self.newid, self.cloud):
                if "cipassword" in request["params"]:
                    request["params"]["cipassword"] = MASKED
                out.append(request)
        if self.start:
            out.append({"method": "POST", "path": f"/nodes/{target}/qemu/{self.newid}/status/start", "params": {}})
        return out


def disk_storages(config: Mapping[str, Any]) -> list[str]:
    """Storages of the VM's disks (not CD-ROMs, not cloud-init drives)."""
    out = []
    for key, value in config.items():
        if not key.startswith(DRIVE_PREFIXES) or key.rstrip("0123456789") not in DRIVE_PREFIXES:
            continue
        text = str(value)
        volid = text.split(",", 1)[0]
        if "media=cdrom" in text or ":" not in volid or "cloudinit" in volid or volid in ("none", "cdrom"):
            continue
        out.append(volid.split(":", 1)[0])
    return out


def volumes_of(config: Mapping[str, Any]) -> list[str]:
    """Every volume of the VM's drives, CD-ROM images and cloud-init drives included (not 'none', 'cdrom')."""
    out = []
    for key, value in config.items():
        if not key.startswith(DRIVE_PREFIXES) or key.rstrip("0123456789") not in DRIVE_PREFIXES:
            continue
        volid = str(value).split(",", 1)[0]
        if ":" in volid and volid not in ("none", "cdrom"):
            out.append(volid)
    return out


def _check_remote_target(
    client: ProxmoxClient, ref: VmRef, config: Mapping[str, Any], target: str, storage: str | None
) -> None:
    """qemu-server clone_vm (src/PVE/API2/Qemu.pm) refuses a target the cluster lacks, a clone to another node
    when ``storage`` is not shared ("can't clone to non-shared storage") and when any source volume, CD-ROM
    images included, is on unshared storage (``$check_storage_access_clone``: "can't clone VM to node ... (VM
    uses local storage)"), full clone or not."""
    from pvectl.sdk._core.answers import as_rows

    # clone_vm checks the target first (PVE::Cluster::check_node_exists: "no such cluster node"), after sending
    nodes = sorted(str(n["node"]) for n in as_rows("GET /nodes", client.nodes.list()))
    if target not in nodes:
        raise CloneProblem(f"--target: no node '{target}' in this cluster (known: {', '.join(nodes)})")
    rows = as_rows("GET /storage", client.storage.list())
    shared = {str(s.get("storage")): str(s.get("shared", 0)) == "1" for s in rows}
    if storage is not None and not shared.get(storage, False):
        raise CloneProblem(f"--storage: '{storage}' is not shared; PVE clones to another node only onto shared storage")
    local = [v for v in volumes_of(config) if not shared.get(v.split(":", 1)[0], False)]
    if local:
        raise CloneProblem(
            f"--target: VM {ref.vmid} has volumes on local storage ({', '.join(local)}); PVE clones to another "
            f"node only from shared storage: clone on {ref.node}, then pvectl vm migrate"
        )


def _check_storage(client: ProxmoxClient, storage: str) -> None:
    """qemu-server clone_vm (src/PVE/API2/Qemu.pm) checks --storage after sending: it must exist
    (PVE::Storage::storage_check_enabled) and hold VM images ("does not support vm images")."""
    from pvectl.sdk._core.answers import as_rows

    rows = as_rows("GET /storage", client.storage.list())
    images = sorted(str(s.get("storage")) for s in rows if "images" in str(s.get("content", "")).split(","))
    if storage not in {str(s.get("storage")) for s in rows}:
        raise CloneProblem(f"--storage: no storage '{storage}' in this cluster (for disks: {', '.join(images)})")
    if storage not in images:
        raise CloneProblem(f"--storage: '{storage}' holds no VM disks (for disks: {', '.join(images)})")


def plan_clone(
    client: ProxmoxClient,
    ref: VmRef,
    name: str,
    *,
    vmid: int | None = None,
    full: bool | None = None,
    target: str | None = None,
    storage: str | None = None,
    fmt: str | None = None,
    pool: str | None = None,
    snapshot: str | None = None,
    description: str | None = None,
    start: bool = False,
    cloud: CloudInit | None = None,
) -> CloneRequest:
    from pvectl.sdk._core.answers import as_object, plain

    if fmt is not None and fmt not in FORMATS:
        raise CloneProblem(f"--format: expected one of {', '.join(FORMATS)}, got '{fmt}'")
    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/config"
    config = as_object(f"GET {path}", client.nodes(ref.node).qemu(ref.vmid).config.get())
    template = str(config.get("template", "0")) == "1"
    notes = []
    if full is False and not template:
        raise CloneProblem(
            f"--linked: VM {ref.vmid} is not a template; linked clones need one "
            f"(pvectl vm template {ref.vmid}), or leave out --linked for a full clone"
        )
    if full is False and (storage or fmt):
        raise CloneProblem(f"--{'storage' if storage else 'format'}: only for full clones (drop --linked)")
    if full is None:
        full = not template or bool(storage or fmt)
        if not full:
            types = {str(s.get("storage")): str(s.get("type")) for s in plain(client.storage.list()) or []}
            unable = sorted({s for s in disk_storages(config) if types.get(s) not in LINKED_TYPES})
            if unable:
                full = True
                notes.append(f"full clone: storage {', '.join(unable)} cannot hold linked clones")
        notes.append(f"{'full' if full else 'linked'} clone (the web GUI's default for this VM)")
    if storage is not None:
        _check_storage(client, storage)
    if target is not None and target != ref.node:
        _check_remote_target(client, ref, config, target, storage)
    auto = vmid is None
    newid = int(plain(client.cluster.nextid())) if vmid is None else vmid
    params: dict[str, Any] = {"newid": newid, "name": name, "full": 1 if full else 0}
    for key, value in (
        ("target", target),
        ("storage", storage),
        ("format", fmt),
        ("pool", pool),
        ("snapname", snapshot),
        ("description", description),
    ):
        if value is not None:
            params[key] = value
    req = CloneRequest(ref.node, ref.vmid, newid, auto, params, linked=not full, start=start, notes=notes)
    req.cloud, req.source_config = cloud, dict(config)
    if cloud is not None:
        from pvectl.vm.cloudinit import NO_REGENERATE, CloudInitProblem, regenerate_supported, requests

        try:
            requests(config, ref.node, newid, cloud)  # checks: a storage for the drive, a free slot
        except CloudInitProblem as exc:
            raise CloneProblem(str(exc)) from None
        if not regenerate_supported(client.server_version):
            notes.append(NO_REGENERATE)
    return req


def send_clone(client: ProxmoxClient, node: str, source: int, params: Mapping[str, Any]) -> Any:
    """``POST /nodes/{node}/qemu/{source}/clone`` with ``params`` as planned; the UPID (or the odd answer)."""
    from pvectl.guest.api import guest_api
    from pvectl.guest.wire import typed

    return typed(guest_api(client, node, source).clone, params)


def clone_write(ref: VmRef, req: CloneRequest, past: str) -> Write:
    """The clone as a step of the write runner (qemu-server src/PVE/API2/Qemu.pm clone_vm forks ``qmclone``)."""
    from pvectl.guest.run import Write

    params = dict(req.params)
    return Write(ref, "clone", "POST", req.path, past, ("qmclone",), params=params,
                 send=lambda client: send_clone(client, req.node, req.source, params))  # fmt: skip


MAX_VMID_TRIES = 20  # as vm create (pvectl.vm.submit): nextid does not reserve the id it answers
VMID_JITTER = 8


def run_clone(
    client: ProxmoxClient,
    req: CloneRequest,
    *,
    timeout: float | None,
    on_progress: Callable[[str], None] | None = None,
) -> Outcome:
    """Send the clone (retrying a taken automatic id), wait for its task, start the VM when asked. The outcome is
    the new VM's (its id and name), as ``ct clone``'s is the new container's."""
    outcome = _run_clone(client, req, timeout=timeout, on_progress=on_progress)
    outcome.action = "clone"
    if outcome.vmid is not None and outcome.name is None:
        outcome.name = str(req.params.get("name") or "") or None
    return outcome


def _run_clone(
    client: ProxmoxClient,
    req: CloneRequest,
    *,
    timeout: float | None,
    on_progress: Callable[[str], None] | None = None,
) -> Outcome:
    from pvectl.sdk import ApiError, PveError, TaskFailed, TaskTimeout
    from pvectl.sdk._core.task import Task, TaskLost
    from pvectl.vm import reconcile

    target = str(req.params.get("target", req.node))
    for attempt in range(MAX_VMID_TRIES):
        sent_at = time.time()
        try:
            upid = send_clone(client, req.node, req.source, req.params)
            break
        except ApiError as exc:
            taken = "already exists" in exc.message
            if taken and req.auto_vmid and attempt < MAX_VMID_TRIES - 1:
                req.newid = req.newid + 1 + random.randrange(VMID_JITTER)  # spread racing clients apart
                req.params["newid"] = req.newid
                if on_progress:
                    on_progress(f"VM id taken meanwhile; trying {req.newid}")
                continue
            if reconcile.ambiguous(exc):
                upid = _clone_task(client, req, sent_at)
                if upid is None:
                    return _lost(req, str(exc))
                break
            message = exc.message + (" (choose another --vmid, or leave it out)" if taken else "")
            outcome = Outcome("nothing-created", None, req.node, f"nothing was cloned: {message}", errors=exc.errors)
            outcome.code = 2 if taken else None
            return outcome
        except PveError as exc:
            if reconcile.ambiguous(exc):
                upid = _clone_task(client, req, sent_at)
                if upid is None:
                    return _lost(req, str(exc))
                break
            return Outcome("nothing-created", None, req.node, f"nothing was cloned: {exc}", code=5)
    else:  # pragma: no cover - the loop breaks or returns
        raise AssertionError
    from pvectl.sdk._core.upid import is_upid

    if not is_upid(upid):  # a 2xx that is not the UPID PVE sends ({"data": null}): the clone may have started
        upid = _clone_task(client, req, sent_at)
        if upid is None:
            return _lost(req, "the answer was not a task id")
    task = Task(client, str(upid))
    seen = 0

    def progress(status: Mapping[str, Any]) -> None:
        nonlocal seen
        if on_progress is None:
            return
        lines = task.log(start=seen)
        seen += len(lines)
        for line in lines:
            on_progress(line)

    kind = "linked" if req.linked else "full"
    try:
        task.wait(timeout=timeout, on_progress=progress)
    except TaskFailed as exc:
        return Outcome(
            "task-failed",
            req.newid,
            target,
            f"clone task failed: {exc.exitstatus}",
            upid=str(upid),
            log_tail=exc.log_tail,
        )
    except (TaskTimeout, TaskLost) as exc:
        return Outcome(
            "unknown",
            req.newid,
            target,
            f"VM {req.newid} is being cloned, but the wait ended ({exc}); the task goes on on the server",
            upid=str(upid),
            remedies=[follow(str(upid))],
        )
    except KeyboardInterrupt:
        return Outcome(
            "interrupted",
            req.newid,
            target,
            f"interrupted: VM {req.newid} is being cloned; the task goes on on the server: {upid}",
            upid=str(upid),
            remedies=[follow(str(upid))],
        )
    done = Outcome(
        "done",
        req.newid,
        target,
        f"VM {req.newid} ({req.params['name']}) cloned from VM {req.source} on {target} ({kind} clone)",
        upid=str(upid),
        done=["clone"],
    )
    if req.cloud is not None:
        from pvectl.vm.cloudinit import apply

        try:
            done.remedies += apply(client, target, req.newid, req.cloud)
        except PveError as exc:
            done.kind = "partial"
            done.message = f"VM {req.newid} cloned, but writing its cloud-init settings failed: {exc}"
            done.missing = ["cloud-init settings", *(["VM start"] if req.start else [])]
            done.remedies = [f"pvectl vm show {req.newid}"]
            return done
        done.done.append("cloud-init")
    if not req.start:
        return done
    from pvectl.vm.actions import power

    try:
        power(client, target, req.newid, "start").wait(timeout=timeout)
    except PveError as exc:
        done.kind = "partial"
        done.message = f"VM {req.newid} cloned, but starting it failed: {exc}"
        done.missing = ["VM start"]
        done.remedies = [f"pvectl vm start {req.newid}"]
        return done
    done.done.append("start")
    done.message += ", started"
    return done


def _clone_task(client: ProxmoxClient, req: CloneRequest, since: float) -> str | None:
    """The clone's task after an ambiguous answer, from the source node's task list: qemu-server
    src/PVE/API2/Qemu.pm clone_vm forks ``qmclone`` with the *source* VM's id. Never sends the clone again."""
    from pvectl.guest.run import reconcile
    from pvectl.vm.lookup import VmRef

    source = VmRef(int(req.source), req.node, "", "", (), {})
    found = reconcile(client, clone_write(source, req, "cloned"), since, 5.0)
    return found.upid if found.verdict == "task" else None


def _lost(req: CloneRequest, why: str) -> Outcome:
    return Outcome(
        "unknown",
        req.newid,
        req.node,
        f"the clone request's answer was lost ({why}); VM {req.newid} may or may not exist",
        remedies=[f"pvectl vm show {req.newid}", f"pvectl task list --node {req.node}"],
    )
