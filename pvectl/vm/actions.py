"""Actions on an existing VM, shared by the submitter and the daily ``pvectl vm`` commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient, Task

Power = Literal["start", "stop", "shutdown", "reboot", "suspend", "resume"]


def enable_serial_console(client: ProxmoxClient, node: str, vmid: int) -> None:
    """``serial0=socket`` and ``vga=serial0``, guarded by the digest of the config read just before."""
    from pvectl.sdk._core.answers import as_object

    path = f"/nodes/{node}/qemu/{vmid}/config"
    config = as_object(f"GET {path}", client.request("GET", path))
    params = {"serial0": "socket", "vga": "serial0"}
    digest = str(config.get("digest") or "")
    if digest:
        params["digest"] = digest  # PVE refuses the write if someone changed the config meanwhile
    client.request("PUT", f"/nodes/{node}/qemu/{vmid}/config", params)


def power(client: ProxmoxClient, node: str, vmid: int, action: Power) -> Task:
    path = f"/nodes/{node}/qemu/{vmid}/status/{action}"
    return _task(client, f"POST {path}", client.request("POST", path, {}))


def destroy(client: ProxmoxClient, node: str, vmid: int, *, purge: bool = False) -> Task:
    params = {"purge": True} if purge else {}
    path = f"/nodes/{node}/qemu/{vmid}"
    return _task(client, f"DELETE {path}", client.request("DELETE", path, params))


def _task(client: ProxmoxClient, what: str, answer: object) -> Task:
    """The Task a write answered with; UnexpectedAnswer when the answer is not a UPID (PVE always sends one)."""
    from pvectl.sdk import Task
    from pvectl.sdk._core.answers import UnexpectedAnswer
    from pvectl.sdk._core.upid import is_upid

    if not isinstance(answer, str) or not is_upid(answer):
        raise UnexpectedAnswer(what, answer, "a task id (UPID)")
    return Task(client, answer)
