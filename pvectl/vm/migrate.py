"""Moving a VM to another node: the preflight PVE answers, what blocks a move, and the request that moves it.

The preflight is ``GET /nodes/{node}/qemu/{vmid}/migrate`` (qemu-server ``migrate_vm_precondition``). Its shape
differs between releases, so :func:`parse` reads it leniently:

- ``running`` is ``0``/``1`` on the wire (a recorded PVE 9 answer: CodingPenguin-yoon/Gjallar
  docs/operations/drs-explicit-test-candidate-prep-2026-06-03.md @917b95b8), a boolean in the schema;
- ``allowed_nodes``/``not_allowed_nodes`` are missing on PVE 7 for a running VM ("only passed if VM is offline",
  schema 7.4-2); on PVE 9 every other node is listed in ``not_allowed_nodes``, as ``{}`` when nothing blocks it
  (the same recorded answer): only entries with details block;
- ``local_disks`` entries carry ``volid``, ``size``, ``cdrom``, ``is_unused`` (schema 9.1.3) and, on older
  releases, ``drivename``.

HA-managed VMs are moved by the HA stack. pvectl posts ``POST /nodes/{node}/qemu/{vmid}/migrate`` as the GUI does
(pve-manager www/manager6/window/Migrate.js): it needs only ``VM.Migrate`` on the VM, while the HA API's
``/cluster/ha/resources/{sid}/migrate|relocate`` needs ``Sys.Console`` on ``/`` (pve-ha-manager
src/PVE/API2/HA/Resources.pm). For an HA-managed VM qemu-server ``migrate_vm`` forks a ``hamigrate`` task that
only files the request (``ha-manager migrate``); the HA stack then migrates with ``force`` and
``with-local-disks`` itself (pve-ha-manager src/PVE/HA/Resources/PVEVM.pm ``migrate``), so local disks need no
flag. pvectl waits until the VM shows on the target node. Only the offline move of a running HA VM (relocate:
stop, move, start) has no node API and goes to the HA API.

A resource in HA state ``ignored`` still shows a ``hastate`` in ``/cluster/resources``, but PVE treats it as not
managed (pve-ha-manager src/PVE/HA/Config.pm ``$service_check_ha_state``: "ignored service behave as if they
were not managed by HA"); so does the GUI, and so does :func:`ha_managed`.

What blocks a move, as qemu-server decides it (src/PVE/QemuMigrate.pm ``prepare``/``scan_local_volumes``) and the
GUI reads the preflight: a local ISO in a CD drive ("local cdrom image", online and offline; a VM's own
cloud-init drive is regenerated on the target); local devices other than mapped ones (``local_resources`` minus
the keys of ``mapped-resource-info``), running or without ``force``; mapped devices without ``live-migration``
for a running VM; ``not_allowed_nodes[target]['unavailable-resources']`` (mappings the target lacks). With a
target storage map PVE skips the storage check (qemu-server src/PVE/API2/Qemu.pm ``migrate_vm``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

GiB = 1024**3
PREFLIGHT_REFUSED = "PVE's preflight refused"


@dataclass(frozen=True)
class LocalDisk:
    volid: str
    size: int
    cdrom: bool
    unused: bool
    drive: str = ""

    @property
    def attached(self) -> bool:
        """A disk the running VM uses (what a live migration must copy)."""
        return not (self.cdrom or self.unused)


@dataclass(frozen=True)
class Preflight:
    running: bool
    local_disks: tuple[LocalDisk, ...] = ()
    local_resources: tuple[str, ...] = ()
    mapped_resources: tuple[str, ...] = ()
    allowed: tuple[str, ...] | None = None  # None: the server did not say (PVE 7, running VM)
    blocked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # node -> why not
    mapped_live: Mapping[str, bool] = field(default_factory=dict)  # mapped-resource-info: key -> live-migration
    missing_storages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # node -> unavailable_storages
    vmid: int = 0

    def local_cdroms(self) -> list[str]:
        """Local ISO images in CD drives (QemuMigrate: "local cdrom image"), the VM's cloud-init drive aside."""
        own = f"vm-{self.vmid}-cloudinit"
        return [d.volid for d in self.local_disks if d.cdrom and not d.unused and own not in d.volid]

    def pinning_devices(self) -> list[str]:
        """``local_resources`` that are not mapped: they pin the VM (QemuMigrate prepare's blocking resources)."""
        return [r for r in self.local_resources if r not in self.mapped_live]


def ha_managed(ref: VmRef) -> bool:
    """The VM is managed by HA: it has an HA resource whose state is not ``ignored`` (Config.pm)."""
    state = ref.raw.get("hastate")
    return bool(state) and str(state) != "ignored"


def _flag(value: Any) -> bool:
    return value not in (None, False, 0, "0", "", "false")


def parse(answer: Any, vmid: int = 0) -> Preflight:
    from pvectl.sdk._core.answers import as_object

    data = as_object("GET .../migrate", answer)
    disks = []
    for item in data.get("local_disks") or []:
        if isinstance(item, Mapping) and item.get("volid"):
            disks.append(
                LocalDisk(
                    volid=str(item["volid"]),
                    size=int(item.get("size") or 0),
                    cdrom=_flag(item.get("cdrom")),
                    unused=_flag(item.get("is_unused")),
                    drive=str(item.get("drivename") or ""),
                )
            )
    blocked: dict[str, tuple[str, ...]] = {}
    storages: dict[str, tuple[str, ...]] = {}
    raw = data.get("not_allowed_nodes")
    if isinstance(raw, Mapping):
        for node, info in raw.items():
            reasons = _reasons(info)
            if reasons:
                blocked[str(node)] = reasons
            if isinstance(info, Mapping) and info.get("unavailable_storages"):
                storages[str(node)] = tuple(str(x) for x in info["unavailable_storages"])
    info = data.get("mapped-resource-info")
    mapped_live = (
        {str(k): _flag(v.get("live-migration")) if isinstance(v, Mapping) else False for k, v in info.items()}
        if isinstance(info, Mapping)
        else {}
    )
    for key in data.get("mapped-resources") or []:  # PVE 8.x without the info: not live-migratable
        mapped_live.setdefault(str(key), False)
    allowed = data.get("allowed_nodes")
    return Preflight(
        running=_flag(data.get("running")),
        local_disks=tuple(disks),
        local_resources=tuple(str(r) for r in data.get("local_resources") or []),
        mapped_resources=tuple(str(r) for r in data.get("mapped-resources") or []),
        allowed=tuple(str(n) for n in allowed) if isinstance(allowed, list) else None,
        blocked=blocked,
        mapped_live=mapped_live,
        missing_storages=storages,
        vmid=vmid,
    )


def _reasons(info: Any) -> tuple[str, ...]:
    if not isinstance(info, Mapping):
        return ()
    out = []  # unavailable_storages are kept apart (Preflight.missing_storages): a storage map lifts them
    resources = info.get("unavailable-resources") or []
    if resources:  # mapped devices without a mapping on that node (QemuMigrate: "missing mapped devices")
        out.append(f"mapped devices {', '.join(str(r) for r in resources)} not available there")
    for item in info.get("blocking-ha-resources") or []:
        if isinstance(item, Mapping):
            out.append(f"HA resource {item.get('sid')} ({item.get('cause')})")
    return tuple(out)


def preflight(client: ProxmoxClient, node: str, vmid: int, target: str | None = None) -> Preflight:
    from pvectl.sdk._core.answers import plain

    return parse(plain(client.nodes(node).qemu(vmid).migrate.get(target=target or None)), vmid)


def try_preflight(client: ProxmoxClient, ref: VmRef, target: str | None = None) -> Preflight | str:
    """The preflight, or why PVE refused to answer it (a locked VM: "VM is locked (backup)"), as one line."""
    from pvectl.sdk._core.errors import ApiError

    try:
        return preflight(client, ref.node, ref.vmid, target)
    except ApiError as exc:
        return f"{PREFLIGHT_REFUSED}: {str(exc).strip()}"


def problems(
    pre: Preflight,
    target: str,
    *,
    online: bool,
    with_local_disks: bool,
    ha: bool = False,
    storage_map: bool = False,
) -> list[str]:
    """Why PVE would refuse or fail this move (nothing: it should go through).

    ``ha``: the HA stack moves it (with ``force`` and ``with-local-disks``: PVEVM.pm ``migrate``);
    ``storage_map``: a ``--target-storage`` is given (migrate_vm then skips check_storage_availability).
    """
    out = [f"{target}: {reason}" for reason in pre.blocked.get(target, ())]
    storages = pre.missing_storages.get(target, ())
    if storages and not storage_map:
        out.append(f"{target}: storage {', '.join(storages)} not available there")
    cdroms = pre.local_cdroms()
    if cdroms:  # QemuMigrate scan_local_volumes: "local cdrom image", online and offline
        out.append(f"local ISO in a CD drive: {', '.join(cdroms)} (eject it: pvectl vm set {pre.vmid} --iso none)")
    pinning = pre.pinning_devices()
    if pinning and (online or not ha):
        # QemuMigrate prepare: "can't migrate VM which uses local devices" (running, or without force)
        out.append(f"local devices pin it to its node: {', '.join(pinning)}")
    not_live = [k for k, live in pre.mapped_live.items() if not live]
    if online and not_live:  # QemuMigrate prepare: mapped devices without live-migration
        out.append(f"mapped devices cannot move live: {', '.join(not_live)}")
    attached = [d.volid for d in pre.local_disks if d.attached]
    if online and attached and not (with_local_disks or ha):
        out.append(f"local disks {', '.join(attached)} need --with-local-disks to move while it runs")
    return out


@dataclass(frozen=True)
class Move:
    """One VM's move: how (``online``, ``offline``, ``ha-migrate``, ``ha-relocate``) and the request."""

    ref: VmRef
    target: str
    mode: str
    method: str
    path: str
    params: dict[str, Any]

    @property
    def ha(self) -> bool:
        return self.mode.startswith("ha-")

    def describe(self) -> str:
        shown = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.method} {self.path} {shown}".rstrip()


class MoveError(ValueError):
    """A move that cannot be asked for as given (the message names the flag)."""


def plan_move(
    ref: VmRef,
    target: str,
    *,
    running: bool,
    online: bool | None = None,
    with_local_disks: bool = False,
    target_storage: str | None = None,
) -> Move:
    """The request that moves ``ref`` to ``target``: live when it runs (as the GUI does), unless ``online`` says."""
    live = running if online is None else online and running
    if ha_managed(ref):
        if target_storage:
            raise MoveError(
                f"--target-storage: VM {ref.vmid} is HA-managed; the HA stack moves its disks to the same storages"
            )
        if running and online is False:  # relocate (stop, move, start) exists only in the HA API
            path = f"/cluster/ha/resources/vm:{ref.vmid}/relocate"
            return Move(ref, target, "ha-relocate", "POST", path, {"node": target})
        # as the GUI: the node API files the HA request (hamigrate); the HA stack adds with-local-disks itself
        params: dict[str, Any] = {"target": target, **({"online": 1} if running else {})}
        return Move(ref, target, "ha-migrate", "POST", f"/nodes/{ref.node}/qemu/{ref.vmid}/migrate", params)
    if running and online is False:
        raise MoveError(f"--offline: VM {ref.vmid} is running; PVE moves a running VM only live (stop it first)")
    params = {"target": target}
    if live:
        params["online"] = 1
    if with_local_disks:
        params["with-local-disks"] = 1
    if target_storage:
        params["targetstorage"] = target_storage
    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/migrate"
    return Move(ref, target, "online" if live else "offline", "POST", path, params)


def on_target(target: str) -> Callable[[ProxmoxClient, VmRef], bool | None]:
    """Is the VM on ``target`` now (``/cluster/resources``)? None when that cannot be read. After an ambiguous
    answer to an HA move this is all there is to ask: its 'hamigrate' task only files the request."""

    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        from pvectl.sdk._core.errors import PveError
        from pvectl.vm.lookup import cluster_vms

        try:
            now = next((v for v in cluster_vms(client) if v.vmid == ref.vmid), None)
        except PveError:
            return None
        return None if now is None else now.node == target

    return reached


def send(client: ProxmoxClient, move: Move) -> str | HaWait:
    """Send the move: the task's UPID, or for the HA stack a waiter that watches the VM arrive."""
    from pvectl.vm.actions import _task

    if move.ha:
        known = {upid for upid, _ in _migrations(client, move.ref)}  # the HA worker's task will be a new one
        answer = _send_typed(client, move)
        # the node API answers the UPID of 'hamigrate', which only files the request; the HA API answers none
        request = answer if isinstance(answer, str) and answer.startswith("UPID:") else None
        return HaWait(client, move, known, request)
    answer = _send_typed(client, move)
    return _task(client, f"{move.method} {move.path}", answer).upid.raw


def _send_typed(client: ProxmoxClient, move: Move) -> Any:
    """``move``'s request (method, path and parameters as planned) through its typed SDK method."""
    from pvectl.guest.api import guest_api
    from pvectl.guest.wire import typed

    if move.mode == "ha-relocate":  # POST /cluster/ha/resources/vm:ID/relocate
        return typed(client.cluster.ha.resources(f"vm:{move.ref.vmid}").relocate, move.params)
    return typed(guest_api(client, move.ref.node, move.ref.vmid).migrate.create, move.params)


class HaWait:
    """Waits for the HA stack to move a VM: done when ``/cluster/resources`` shows it on the target, failed when
    the HA worker's ``qmigrate`` task on the source node failed."""

    MAX_POLL = 2.0

    def __init__(self, client: ProxmoxClient, move: Move, known: set[str], request: str | None = None) -> None:
        self.client = client
        self.move = move
        self.known = known
        self.request = request  # the 'hamigrate' task: its failure means the HA stack never got the request
        self.label = f"HA {move.mode.removeprefix('ha-')} of vm:{move.ref.vmid} to {move.target}"

    def wait(self, timeout: float | None) -> None:
        from pvectl.sdk import TaskTimeout
        from pvectl.sdk._core.backoff import Poll
        from pvectl.sdk._core.errors import TaskFailed

        poll = Poll(self.client.clock, timeout=timeout, cap=self.MAX_POLL)
        while True:
            if self._arrived():
                return
            failed = self._failed_task()
            if failed is not None:
                raise TaskFailed(failed[0], failed[1], [])
            if not poll.pause():
                raise TaskTimeout(self.label, timeout or 0.0)

    def _arrived(self) -> bool:
        from pvectl.vm.lookup import cluster_vms

        for vm in cluster_vms(self.client):
            if vm.vmid == self.move.ref.vmid:
                return vm.node == self.move.target and not vm.raw.get("lock")
        return False

    def _failed_task(self) -> tuple[str, str] | None:
        if self.request is not None:
            from pvectl.sdk._core.answers import plain

            node = self.request.split(":")[1]
            answer = plain(self.client.nodes(node).tasks(self.request).status())
            status = str(answer.get("exitstatus") or "") if isinstance(answer, Mapping) else ""
            ended = isinstance(answer, Mapping) and answer.get("status") == "stopped"
            if ended and status != "OK" and not status.startswith("WARNINGS"):
                return self.request, status
        for upid, status in _migrations(self.client, self.move.ref):
            if upid not in self.known and status not in ("", "OK", "running") and not status.startswith("WARNINGS"):
                return upid, status
        return None


def _migrations(client: ProxmoxClient, ref: VmRef) -> list[tuple[str, str]]:
    """(UPID, status) of the VM's migration tasks on its node; status is "" while one runs."""
    from pvectl.sdk._core.answers import plain

    rows = plain(client.nodes(ref.node).tasks.list(vmid=ref.vmid, typefilter="qmigrate", source="all"))
    return [
        (str(row.get("upid")), str(row.get("status") or ""))
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, Mapping) and row.get("upid")
    ]
