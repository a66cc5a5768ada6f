"""The typed SDK resource of one guest, for code that handles VMs and containers alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient


def guest_api(client: ProxmoxClient, node: str, vmid: int, kind: str = "qemu") -> Any:
    """``client.nodes(node).qemu(vmid)`` or ``….lxc(vmid)``: the same paths, typed (``/nodes/{node}/{kind}/{vmid}``)."""
    api: Any = client.nodes(node)
    return api.lxc(vmid) if kind == "lxc" else api.qemu(vmid)
