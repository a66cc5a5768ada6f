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
from typing import TYPE_CHECKING, Any, Literal

from pvectl.guest.run import Step, Write, decided

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
    guest: Any = client.nodes(ref.node).lxc(ref.vmid) if ref.kind == "lxc" else client.nodes(ref.node).qemu(ref.vmid)
    return str(getattr(guest.status, action)().upid.raw)


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


def current_status(client: ProxmoxClient, ref: VmRef) -> dict[str, Any] | None:
    """``GET …/status/current`` as a dict, None when it cannot be read."""
    from pvectl.sdk._core.errors import PveError

    path = f"{base(ref)}/status/current"
    try:
        data = client.request("GET", path)  # raw: the typed model drops keys of newer releases we compare
    except PveError:
        return None
    return dict(data) if isinstance(data, dict) else None


def plan_delete(refs: Sequence[VmRef], *, purge: bool = False) -> list[Step]:
    return [delete_write(ref, purge=purge) for ref in refs]


def delete_write(ref: VmRef, *, purge: bool = False) -> Write:
    # PVE refuses to delete an HA-managed guest unless purge removes its HA resource too
    # (qemu-server src/PVE/API2/Qemu.pm destroy_vm: "unable to remove VM - used in HA resources ...")
    params: dict[str, Any] = {"purge": 1} if purge or ref.raw.get("hastate") else {}
    return Write(
        ref,
        "delete",
        "DELETE",
        base(ref),
        PAST["delete"],
        task_types(ref, "delete"),
        params=params,
        reached=_gone,
    )


def _gone(client: ProxmoxClient, ref: VmRef) -> bool | None:
    """Whether the guest is gone (PVE answers 500 "Configuration file ... does not exist" for a missing one)."""
    from pvectl.sdk._core.errors import ApiError, NotFound, PveError

    path = f"{base(ref)}/status/current"
    try:
        client.request("GET", path)
    except NotFound:
        return True
    except ApiError as exc:
        return True if exc.status == 500 and "does not exist" in exc.message else None
    except PveError:
        return None
    return False
