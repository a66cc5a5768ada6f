"""Actions on an existing VM, shared by the submitter and the daily ``pvectl vm`` commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient, Task

Power = Literal["start", "stop", "shutdown", "reboot"]


def enable_serial_console(client: ProxmoxClient, node: str, vmid: int) -> None:
    """``serial0=socket`` and ``vga=serial0``, guarded by the digest of the config read just before."""
    config = client.request("GET", f"/nodes/{node}/qemu/{vmid}/config") or {}
    params = {"serial0": "socket", "vga": "serial0"}
    digest = str(config.get("digest") or "")
    if digest:
        params["digest"] = digest  # PVE refuses the write if someone changed the config meanwhile
    client.request("PUT", f"/nodes/{node}/qemu/{vmid}/config", params)


def power(client: ProxmoxClient, node: str, vmid: int, action: Power) -> Task:
    from pvectl.sdk import Task

    return Task(client, str(client.request("POST", f"/nodes/{node}/qemu/{vmid}/status/{action}", {})))


def destroy(client: ProxmoxClient, node: str, vmid: int, *, purge: bool = False) -> Task:
    from pvectl.sdk import Task

    params = {"purge": True} if purge else {}
    return Task(client, str(client.request("DELETE", f"/nodes/{node}/qemu/{vmid}", params)))
