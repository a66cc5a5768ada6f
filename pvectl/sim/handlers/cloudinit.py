"""Cloud-init in the simulator: the ``STORAGE:cloudinit`` drive, ``sshkeys`` checks, ``…/cloudinit``.

qemu-server's update_vm (PVE::API2::Qemu) percent-decodes ``sshkeys`` (URI::Escape::uri_unescape) and validates
every line as an OpenSSH public key (PVE::Tools::validate_ssh_public_keys), storing the encoded text as sent.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from pvectl.sim import vmconf, volumes
from pvectl.sim.handlers.qemu import _vm
from pvectl.sim.pending import take_pending
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import param_fail

KEY_LINE = re.compile(r"(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-\S+)\s+[A-Za-z0-9+/]+={0,3}(?:\s.*)?")
CI_KEYS = ("ciuser", "cipassword", "sshkeys", "nameserver", "searchdomain", "ciupgrade", "citype")


def check_sshkeys(encoded: str) -> None:
    for line in unquote(encoded).splitlines():
        if line.strip() and not KEY_LINE.fullmatch(line.strip()):
            raise param_fail({"sshkeys": "invalid format - invalid urlencoded string or SSH public key"})


def allocate_drive(state: dict[str, Any], node: str, vmid: int, key: str, storage: str, now: float) -> str:
    st = vmconf.storage_on_node(state, storage, node, key)
    fmt = "qcow2" if st["type"] in ("dir", "nfs", "cifs") else "raw"
    volid = vmconf.volid_for(storage, st, vmid, f"vm-{vmid}-cloudinit", fmt)
    volumes.add(
        state,
        {
            "volid": volid,
            "storage": storage,
            "node": None if st["shared"] else node,
            "content": "images",
            "format": fmt,
            "size": 4 * 1024 * 1024,
            "ctime": int(now),
            "vmid": vmid,
        },
    )
    return f"{volid},media=cdrom"


@route("PUT /nodes/{node}/qemu/{vmid}/cloudinit")
def regenerate(ctx: Ctx) -> None:
    vm = _vm(ctx)
    # PVE/API2/Qemu.pm cloudinit_update: pending cloud-init options (a running VM keeps them pending) are taken
    # into the config first, then the drive is regenerated from it.
    take_pending(ctx.state, vm, lambda key: key in CI_KEYS or key == "cicustom" or key.startswith("ipconfig"))
    vm["cloudinit_generated"] = {k: v for k, v in vm["config"].items() if k in CI_KEYS or k.startswith("ipconfig")}
    ctx.changed()


@route("GET /nodes/{node}/qemu/{vmid}/cloudinit")
def pending(ctx: Ctx) -> list[dict[str, Any]]:
    vm = _vm(ctx)
    used = vm.get("cloudinit_generated", {})
    out = []
    for key, value in sorted(vm["config"].items()):
        if key in CI_KEYS or key.startswith("ipconfig"):
            shown = "**********" if key == "cipassword" else value
            entry: dict[str, Any] = {"key": key, "value": shown}
            if used.get(key) != value:
                entry["pending"] = shown
            out.append(entry)
    return out
