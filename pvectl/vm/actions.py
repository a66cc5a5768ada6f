"""Actions on an existing VM, shared by the submitter and the daily ``pvectl vm`` commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient, Task

Power = Literal["start", "stop", "shutdown", "reboot", "suspend", "resume"]


def enable_serial_console(client: ProxmoxClient, node: str, vmid: int) -> None:
    """``serial0=socket`` and ``vga=serial0``, guarded by the digest of the config read just before."""
    from pvectl.sdk._core.answers import as_object

    path = f"/nodes/{node}/qemu/{vmid}/config"
    config = as_object(f"GET {path}", client.nodes(node).qemu(vmid).config.get())
    params: dict[str, Any] = {"serial0": "socket", "vga": "serial0"}
    digest = str(config.get("digest") or "")
    if digest:
        params["digest"] = digest  # PVE refuses the write if someone changed the config meanwhile
    client.nodes(node).qemu(vmid).config.set(**params)


def power(client: ProxmoxClient, node: str, vmid: int, action: Power) -> Task:
    status: Any = client.nodes(node).qemu(vmid).status
    task: Task = getattr(status, action)()  # POST /nodes/{node}/qemu/{vmid}/status/{action}
    return task


# qemu-server src/PVE/API2/Qemu.pm vm_start/vm_stop/vm_shutdown and migrate_vm: for an HA-managed guest the task
# only files the request with the HA stack ('hastart', 'hastop', 'hamigrate' run ``ha-manager set|migrate``); it
# ends OK before the guest has moved. The HA stack then acts in a task of its own.
HA_REQUESTS = frozenset({"hastart", "hastop", "hamigrate"})


def is_ha_request(upid: str) -> bool:
    """The task behind ``upid`` only asked the HA stack (its type is the UPID's sixth field)."""
    parts = upid.split(":")
    return len(parts) > 5 and parts[5] in HA_REQUESTS


def wait_real_state(
    client: ProxmoxClient, node: str, vmid: int, want: str, timeout: float | None, kind: str = "qemu"
) -> str:
    """After an HA request: poll ``status/current`` until the VM is ``want`` (running/stopped); the last status
    seen. TaskTimeout when ``timeout`` seconds pass first."""
    from pvectl.guest.api import guest_api
    from pvectl.sdk import TaskTimeout
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.backoff import Poll, poll_until

    seen = ""

    def probe() -> str | None:
        nonlocal seen
        answer = plain(guest_api(client, node, vmid, kind).status.current())
        seen = str(answer.get("status") or "") if isinstance(answer, dict) else ""
        return seen if seen == want else None

    if poll_until(probe, Poll(client.clock, timeout=timeout)) is None:
        raise TaskTimeout(f"HA request for VM {vmid} (still {seen or 'unknown'}, waiting for {want})", timeout or 0.0)
    return want


def settle(client: ProxmoxClient, upid: str, timeout: float | None, kind: str = "qemu") -> None:
    """After a task ended OK: when it was only an HA start/stop request, wait until the VM is really running or
    stopped (TaskTimeout otherwise). A no-op for every other task (hamigrate has its own waiter)."""
    parts = upid.split(":")
    if len(parts) < 7 or parts[5] not in ("hastart", "hastop") or not parts[6].isdigit():
        return
    want = "running" if parts[5] == "hastart" else "stopped"
    wait_real_state(client, parts[1], int(parts[6]), want, timeout, kind)


def destroy(client: ProxmoxClient, node: str, vmid: int, *, purge: bool = False) -> Task:
    return client.nodes(node).qemu(vmid).delete(purge=True if purge else None)


def _task(client: ProxmoxClient, what: str, answer: object) -> Task:
    """The Task a write answered with; UnexpectedAnswer when the answer is not a UPID (PVE always sends one)."""
    from pvectl.sdk import Task
    from pvectl.sdk._core.answers import UnexpectedAnswer
    from pvectl.sdk._core.upid import is_upid

    if not isinstance(answer, str) or not is_upid(answer):
        raise UnexpectedAnswer(what, answer, "a task id (UPID)")
    return Task(client, answer)
