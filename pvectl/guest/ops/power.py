"""Power actions and delete on guests of either kind: a pure plan (one step per guest), run by guest.run.

PVE's worker task types, found in the node's task list after an ambiguous answer:
QEMU ``qm<action>`` (qemu-server ``src/PVE/API2/Qemu.pm``: vm_start forks ``qmstart``, vm_stop ``qmstop``,
vm_shutdown ``qmshutdown``, vm_reboot ``qmreboot``, vm_suspend ``qmsuspend``, vm_resume ``qmresume``,
destroy_vm ``qmdestroy``); LXC ``vz<action>`` (pve-container ``src/PVE/API2/LXC/Status.pm``: ``vzstart``,
``vzstop``, ``vzshutdown``, ``vzreboot``, ``vzsuspend``, ``vzresume``; ``src/PVE/API2/LXC.pm`` destroy_vm
``vzdestroy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pvectl.guest.outcome import Outcome
from pvectl.guest.run import Job, State, Step, Write, decided, execute

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

Action = Literal["start", "stop", "shutdown", "reboot", "suspend", "resume"]
ACTIONS: tuple[str, ...] = ("start", "stop", "shutdown", "reboot", "suspend", "resume")
PAST = {
    "start": "started",
    "stop": "stopped",
    "shutdown": "shut down",
    "reboot": "rebooted",
    "suspend": "suspended (paused)",
    "resume": "resumed",
    "delete": "deleted",
}
# The state /cluster/resources shows once the action is done: a guest there already needs nothing sent.
# (resume is absent: a paused VM shows "running" in /cluster/resources; reboot/suspend always act.)
TARGET = {"start": "running", "stop": "stopped", "shutdown": "stopped"}


# An HA-managed guest changes state through the HA stack: PVE forks ``hastart``/``hastop`` instead
# (qemu-server src/PVE/API2/Qemu.pm vm_start/vm_stop/vm_shutdown: ``vm_is_ha_managed`` → ``fork_worker('hastart'``;
# pve-container src/PVE/API2/LXC/Status.pm likewise).
HA_TYPES = {"start": "hastart", "stop": "hastop", "shutdown": "hastop"}


def task_types(ref: VmRef, action: str) -> tuple[str, ...]:
    prefix = "vz" if ref.kind == "lxc" else "qm"
    own = f"{prefix}{'destroy' if action == 'delete' else action}"
    ha = HA_TYPES.get(action)
    return (own, ha) if ha else (own,)  # asked only after an ambiguous answer: both, whatever the row says


def base(ref: VmRef) -> str:
    return f"/nodes/{ref.node}/{'lxc' if ref.kind == 'lxc' else 'qemu'}/{ref.vmid}"


def plan_power(refs: Sequence[VmRef], action: str) -> list[Step]:
    """One step per guest: ``already`` (nothing sent) when /cluster/resources shows the target state."""
    steps: list[Step] = []
    for ref in refs:
        target = TARGET.get(action)
        if target is not None and ref.status == target:
            steps.append(decided(ref, action, "already", f"{target} already; nothing sent"))
            continue
        steps.append(power_write(ref, action))
    return steps


def power_write(ref: VmRef, action: str) -> Write:
    return Write(
        ref,
        action,
        "POST",
        f"{base(ref)}/status/{action}",
        PAST[action],
        task_types(ref, action),
        reached=_reached(action),
        send=lambda client: _typed_power(client, ref, action),
    )


def _typed_power(client: ProxmoxClient, ref: VmRef, action: str) -> str:
    return str(getattr(_typed(client, ref).status, action)().upid.raw)


def _reached(action: str) -> Any:
    """How the server shows that ``action`` happened (None: it cannot tell, e.g. a reboot)."""

    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        current = current_status(client, ref)
        if current is None:
            return None
        if action == "start":
            return current.get("status") == "running"
        if action in ("stop", "shutdown"):
            return current.get("status") == "stopped"
        if action == "suspend":
            return current.get("qmpstatus", current.get("status")) in ("paused", "suspended")
        if action == "resume":
            return current.get("qmpstatus", current.get("status")) == "running"
        return None

    return reached


def _typed(client: ProxmoxClient, ref: VmRef) -> Any:
    """The typed SDK resource of the guest (``/nodes/{node}/qemu/{vmid}`` or ``…/lxc/{vmid}``)."""
    node: Any = client.nodes(ref.node)
    return node.lxc(ref.vmid) if ref.kind == "lxc" else node.qemu(ref.vmid)


def current_status(client: ProxmoxClient, ref: VmRef) -> dict[str, Any] | None:
    """``status`` and ``qmpstatus`` of ``GET …/status/current``; None when it cannot be read."""
    from pvectl.sdk._core.errors import PveError

    try:
        current = _typed(client, ref).status.current()
    except PveError:
        return None
    status = getattr(current, "status", None)
    if status is None:
        return None
    return {"status": str(status), "qmpstatus": str(getattr(current, "qmpstatus", None) or status)}


def plan_delete(
    refs: Sequence[VmRef], *, purge: bool = False, stop: bool = False, wait: bool = True, timeout: float | None = None
) -> list[Step]:
    """One delete per guest; with ``stop``, a running (or paused) guest is stopped first (see StopThenDelete)."""
    steps: list[Step] = []
    for ref in refs:
        if stop and ref.status in ("running", "paused"):
            steps.append(stop_then_delete(ref, purge=purge, wait=wait, timeout=timeout))
        else:
            steps.append(delete_write(ref, purge=purge))
    return steps


@dataclass
class StopThenDelete(Job):
    """``delete --stop`` on a running guest: PVE destroys only stopped guests (qemu-server src/PVE/API2/Qemu.pm
    destroy_vm dies "VM N is running - destroy failed"; pve-container src/PVE/API2/LXC.pm destroy_vm likewise),
    so the stop is sent and waited for first, then the delete; each write through the runner (reconciled on an
    ambiguous answer), and a stop that fails leaves the guest as it is, nothing deleted."""

    request: str = ""  # what --dry-run shows


def stop_then_delete(ref: VmRef, *, purge: bool, wait: bool, timeout: float | None) -> StopThenDelete:
    stopping, deleting = power_write(ref, "stop"), delete_write(ref, purge=purge)

    def run(client: ProxmoxClient, on_state: State) -> Outcome:
        stopped = execute(client, stopping, wait=True, timeout=timeout, on_state=on_state)
        if not stopped.ok:
            return stopped
        return execute(client, deleting, wait=wait, timeout=timeout, on_state=on_state)

    return StopThenDelete(ref, "delete", run, request=f"{stopping.request}, then {deleting.request}")


def delete_write(ref: VmRef, *, purge: bool = False) -> Write:
    # PVE refuses to delete an HA-managed guest unless purge removes its HA resource too
    # (qemu-server src/PVE/API2/Qemu.pm destroy_vm: "unable to remove VM - used in HA resources ...")
    purged = bool(purge or ref.raw.get("hastate"))
    params: dict[str, Any] = {"purge": True} if purged else {}
    return Write(
        ref,
        "delete",
        "DELETE",
        base(ref),
        PAST["delete"],
        task_types(ref, "delete"),
        params=params,
        reached=_gone,
        send=lambda client: str(_typed(client, ref).delete(purge=True if purged else None).upid.raw),
        hint=lambda exc: _running_hint(ref, exc),
    )


def _running_hint(ref: VmRef, exc: BaseException) -> list[str]:
    # PVE refuses to destroy a running guest: qemu-server src/PVE/API2/Qemu.pm destroy_vm dies "VM N is running -
    # destroy failed" (pve-container src/PVE/API2/LXC.pm destroy_vm: "CT N is running")
    if " is running" not in str(exc):
        return []
    if ref.kind == "lxc":
        return [f"stop it first: pvectl ct delete {ref.vmid} --stop"]  # ct delete --stop: StopThenDelete
    return [f"stop it first: pvectl vm delete {ref.vmid} --stop"]  # vm delete --stop: StopThenDelete


def _gone(client: ProxmoxClient, ref: VmRef) -> bool | None:
    """Whether the guest is gone (PVE answers 500 "Configuration file ... does not exist" for a missing one)."""
    from pvectl.sdk._core.errors import ApiError, NotFound, PveError

    try:
        _typed(client, ref).status.current()
    except NotFound:
        return True
    except ApiError as exc:
        return True if exc.status == 500 and "does not exist" in exc.message else None
    except PveError:
        return None
    return False
