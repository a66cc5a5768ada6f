"""After a write whose answer was lost: ask the server what happened, never send the write again.

A write is *ambiguous* when it may have reached the server: the connection broke after the request went out,
the read timed out, a proxy answered 502/503/504, Ctrl-C arrived while it was in flight, or the server
answered 200 with something we cannot read. It is *not sent* when the connection could not be opened (the
request never left) and *refused* when PVE answered with an error.

Reconciling uses bounded, backed-off GETs only. For a create: does the VM id exist (with the planned name),
and is there a ``qmcreate`` task for it (``/nodes/{node}/tasks``, then ``/cluster/tasks``)?
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pvectl.guest.api import guest_api
from pvectl.sdk._core.answers import plain
from pvectl.sdk._core.errors import ApiError, NotFound, PveError
from pvectl.sdk._core.upid import is_upid

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

from pvectl.guest.answers import AMBIGUOUS_STATUSES, ambiguous, describe_loss, not_sent

__all__ = ["AMBIGUOUS_STATUSES", "ambiguous", "describe_loss", "not_sent"]

DELAYS = (0.0, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0)  # between rounds of checks; total bounded by the budget
BUDGET = 20.0  # seconds of checking before the answer is "unknown"


@dataclass
class Found:
    """What the server shows for a create whose answer was lost."""

    state: Literal["exists", "absent", "foreign", "unknown"]
    upid: str | None = None
    locked: bool = False  # the config still carries PVE's create lock: the task is not done
    checked: list[str] = field(default_factory=list)


def _rounds(client: ProxmoxClient, budget: float) -> Callable[[], bool]:
    """Call before each round: the first at once, then after the next backoff delay; False once the next delay
    would end past the budget."""
    from pvectl.sdk._core.backoff import Poll

    return Poll(client.clock, timeout=budget, delays=DELAYS[1:], last_look=False).next_try


def _task_rows(data: Any) -> list[Mapping[str, Any]]:
    return [row for row in data if isinstance(row, Mapping)] if isinstance(data, list) else []


# Per guest kind (PVE's path segment): the create task's type (qemu-server's `qmcreate`, pve-container's `vzcreate`,
# src/PVE/API2/LXC.pm create_vm) and the config key that names the guest.
CREATE_TASK = {"qemu": "qmcreate", "lxc": "vzcreate"}
NAME_KEY = {"qemu": "name", "lxc": "hostname"}
NOUN = {"qemu": "VM", "lxc": "CT"}


def find_create_task(client: ProxmoxClient, node: str, vmid: int, checked: list[str], kind: str = "qemu") -> str | None:
    """The newest create task for ``vmid``: the node's task list first, then the cluster's."""
    ttype = CREATE_TASK[kind]
    sources: tuple[tuple[str, Callable[[], Any]], ...] = (
        (
            f"/nodes/{node}/tasks",
            lambda: client.nodes(node).tasks.list(vmid=vmid, typefilter=ttype, source="all", limit=50),
        ),
        ("/cluster/tasks", lambda: client.cluster.tasks()),
    )
    for path, ask in sources:
        try:
            rows = _task_rows(plain(ask()))
        except PveError as exc:
            checked.append(f"GET {path}: {exc}")
            continue
        ours = [
            row
            for row in rows
            if row.get("type") == ttype and str(row.get("id")) == str(vmid) and is_upid(row.get("upid"))
        ]
        found = f"a {ttype} task for {NOUN[kind]} {vmid}" if ours else f"no {ttype} task"
        checked.append(f"GET {path}: {found}")
        if ours:
            newest = max(ours, key=lambda row: str(row.get("starttime", "")))
            return str(newest["upid"])
    return None


def find_create(
    client: ProxmoxClient, node: str, vmid: int, name: str | None, budget: float = BUDGET, kind: str = "qemu"
) -> Found:
    """Whether the create of guest ``vmid`` (``kind`` qemu or lxc) happened, by asking -- never by sending it
    again."""
    noun = NOUN[kind]
    next_round = _rounds(client, budget)
    found = Found("unknown")
    rounds = 0
    while next_round():
        rounds += 1
        checked: list[str] = []
        config: dict[str, Any] | None = None
        absent = False
        path = f"/nodes/{node}/{kind}/{vmid}/config"
        try:
            data = plain(guest_api(client, node, vmid, kind).config.get())
            config = dict(data) if isinstance(data, Mapping) else None
            checked.append(f"GET {path}: {f'{noun} {vmid} exists' if config is not None else 'odd answer'}")
        except NotFound:
            absent = True
            checked.append(f"GET {path}: no {noun} {vmid}")
        except ApiError as exc:
            # PVE answers 500 "Configuration file ... does not exist" for a missing guest (PVE::AbstractConfig
            # load_config, for PVE::QemuConfig and PVE::LXC::Config alike)
            absent = exc.status == 500 and "does not exist" in exc.message
            checked.append(f"GET {path}: {f'no {noun} {vmid}' if absent else exc}")
        except PveError as exc:
            checked.append(f"GET {path}: {exc}")
        if config is not None and name and config.get(NAME_KEY[kind]) not in (None, name):
            return Found("foreign", checked=checked)  # another VM took the id; ours cannot have been created
        # the create task too when the guest exists: its UPID is what the outcome names (and a failed one says so)
        upid = find_create_task(client, node, vmid, checked, kind)
        if config is not None:
            return Found("exists", upid, locked=bool(config.get("lock")), checked=checked)
        if upid is not None:
            return Found("exists", upid, locked=True, checked=checked)
        found = Found("absent" if absent else "unknown", checked=checked)
    found.checked.append(f"asked {rounds} times over {budget:g}s at most")
    return found


def serial_console_set(client: ProxmoxClient, node: str, vmid: int) -> bool | None:
    """Whether the VM's config has the serial console (True/False), None if it cannot be read."""
    try:
        data = plain(client.nodes(node).qemu(vmid).config.get())
    except PveError:
        return None
    if not isinstance(data, Mapping):
        return None
    return data.get("serial0") == "socket" and data.get("vga") == "serial0"


def ha_resource_exists(client: ProxmoxClient, vmid: int) -> bool | None:
    try:
        data = plain(client.cluster.ha.resources(f"vm:{vmid}").get())
    except NotFound:
        return False
    except ApiError as exc:
        return False if exc.status == 500 and "no such" in exc.message.lower() else None
    except PveError:
        return None
    return isinstance(data, Mapping)


def vm_running(client: ProxmoxClient, node: str, vmid: int, kind: str = "qemu") -> bool | None:
    """Whether the start happened: the guest runs, or (HA-managed) the HA stack was asked to start it. For an
    HA-managed guest the start task only files the request (qemu-server vm_start forks 'hastart'); status/current
    shows it as ``ha.state`` ``started`` (PVE::HA::Config get_service_status) before the guest runs."""
    try:
        data = plain(guest_api(client, node, vmid, kind).status.current())
    except PveError:
        return None
    if not isinstance(data, Mapping):
        return False
    ha = data.get("ha")
    requested = isinstance(ha, Mapping) and str(ha.get("managed")) == "1" and ha.get("state") == "started"
    return data.get("status") == "running" or requested
