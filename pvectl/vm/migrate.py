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

HA-managed VMs are moved by the HA stack: ``POST /nodes/{node}/qemu/{vmid}/migrate`` would only file a request
(qemu-server forks ``hamigrate`` running ``ha-manager migrate``) and refuses a running VM without ``online``.
pvectl asks the HA stack itself: ``/cluster/ha/resources/{sid}/migrate`` (live for a running VM) or
``/relocate`` (stop, move, start: the offline move of a running HA VM), then waits until the VM shows on the
target node. Those calls answer null (PVE <= 9.0) or the request (9.1), never a task id.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def _flag(value: Any) -> bool:
    return value not in (None, False, 0, "0", "", "false")


def parse(answer: Any) -> Preflight:
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
    raw = data.get("not_allowed_nodes")
    if isinstance(raw, Mapping):
        for node, info in raw.items():
            reasons = _reasons(info)
            if reasons:
                blocked[str(node)] = reasons
    allowed = data.get("allowed_nodes")
    return Preflight(
        running=_flag(data.get("running")),
        local_disks=tuple(disks),
        local_resources=tuple(str(r) for r in data.get("local_resources") or []),
        mapped_resources=tuple(str(r) for r in data.get("mapped-resources") or []),
        allowed=tuple(str(n) for n in allowed) if isinstance(allowed, list) else None,
        blocked=blocked,
    )


def _reasons(info: Any) -> tuple[str, ...]:
    if not isinstance(info, Mapping):
        return ()
    out = []
    storages = info.get("unavailable_storages") or []
    if storages:
        out.append(f"storage {', '.join(str(s) for s in storages)} not available there")
    for item in info.get("blocking-ha-resources") or []:
        if isinstance(item, Mapping):
            out.append(f"HA resource {item.get('sid')} ({item.get('cause')})")
    return tuple(out)


def preflight(client: ProxmoxClient, node: str, vmid: int, target: str | None = None) -> Preflight:
    path = f"/nodes/{node}/qemu/{vmid}/migrate"
    return parse(client.request("GET", path, {"target": target} if target else {}))


def try_preflight(client: ProxmoxClient, ref: VmRef, target: str | None = None) -> Preflight | str:
    """The preflight, or why PVE refused to answer it (a locked VM: "VM is locked (backup)"), as one line."""
    from pvectl.sdk._core.errors import ApiError

    try:
        return preflight(client, ref.node, ref.vmid, target)
    except ApiError as exc:
        return f"{PREFLIGHT_REFUSED}: {str(exc).strip()}"


def problems(pre: Preflight, target: str, *, online: bool, with_local_disks: bool) -> list[str]:
    """Why PVE would refuse or fail this move (nothing: it should go through)."""
    out = [f"{target}: {reason}" for reason in pre.blocked.get(target, ())]
    if pre.local_resources:
        # PVE/QemuMigrate.pm prepare: "can't migrate VM which uses local devices" (running, or without force)
        out.append(f"local devices pin it to its node: {', '.join(pre.local_resources)}")
    attached = [d.volid for d in pre.local_disks if d.attached]
    if online and attached and not with_local_disks:
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
    ha = bool(ref.raw.get("hastate"))
    live = running if online is None else online and running
    if ha:
        if with_local_disks or target_storage:
            flag = "--with-local-disks" if with_local_disks else "--target-storage"
            raise MoveError(f"{flag}: VM {ref.vmid} is HA-managed; the HA stack moves it and takes no such option")
        # ha-manager: migrate = live for a running service; relocate = stop, move, start
        verb = "relocate" if running and online is False else "migrate"
        path = f"/cluster/ha/resources/vm:{ref.vmid}/{verb}"
        return Move(ref, target, f"ha-{verb}", "POST", path, {"node": target})
    if running and online is False:
        raise MoveError(f"--offline: VM {ref.vmid} is running; PVE moves a running VM only live (stop it first)")
    params: dict[str, Any] = {"target": target}
    if live:
        params["online"] = 1
    if with_local_disks:
        params["with-local-disks"] = 1
    if target_storage:
        params["targetstorage"] = target_storage
    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/migrate"
    return Move(ref, target, "online" if live else "offline", "POST", path, params)


def send(client: ProxmoxClient, move: Move) -> str | HaWait:
    """Send the move: the task's UPID, or for the HA stack a waiter that watches the VM arrive."""
    from pvectl.vm.actions import _task

    if move.ha:
        known = {upid for upid, _ in _migrations(client, move.ref)}  # the HA worker's task will be a new one
        client.request(move.method, move.path, dict(move.params))
        return HaWait(client, move, known)
    answer = client.request(move.method, move.path, dict(move.params))
    return _task(client, f"{move.method} {move.path}", answer).upid.raw


class HaWait:
    """Waits for the HA stack to move a VM: done when ``/cluster/resources`` shows it on the target, failed when
    the HA worker's ``qmigrate`` task on the source node failed."""

    MAX_POLL = 2.0

    def __init__(self, client: ProxmoxClient, move: Move, known: set[str]) -> None:
        self.client = client
        self.move = move
        self.known = known
        self.label = f"HA {move.mode.removeprefix('ha-')} of vm:{move.ref.vmid} to {move.target}"

    def wait(self, timeout: float | None) -> None:
        from pvectl.sdk import TaskTimeout
        from pvectl.sdk._core.errors import TaskFailed

        clock = self.client.clock
        started = clock.monotonic()
        delay = 0.1
        while True:
            if self._arrived():
                return
            failed = self._failed_task()
            if failed is not None:
                raise TaskFailed(failed[0], failed[1], [])
            if timeout is not None and clock.monotonic() - started > timeout:
                raise TaskTimeout(self.label, timeout)
            clock.sleep(delay)
            delay = min(self.MAX_POLL, delay * 2)

    def _arrived(self) -> bool:
        from pvectl.vm.lookup import cluster_vms

        for vm in cluster_vms(self.client):
            if vm.vmid == self.move.ref.vmid:
                return vm.node == self.move.target and not vm.raw.get("lock")
        return False

    def _failed_task(self) -> tuple[str, str] | None:
        for upid, status in _migrations(self.client, self.move.ref):
            if upid not in self.known and status not in ("", "OK", "running") and not status.startswith("WARNINGS"):
                return upid, status
        return None


def _migrations(client: ProxmoxClient, ref: VmRef) -> list[tuple[str, str]]:
    """(UPID, status) of the VM's migration tasks on its node; status is "" while one runs."""
    params = {"vmid": ref.vmid, "typefilter": "qmigrate", "source": "all"}
    rows = client.request("GET", f"/nodes/{ref.node}/tasks", params)
    return [
        (str(row.get("upid")), str(row.get("status") or ""))
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, Mapping) and row.get("upid")
    ]
