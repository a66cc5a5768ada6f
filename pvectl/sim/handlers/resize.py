"""``PUT /nodes/{node}/qemu/{vmid}/resize``: grow a disk (its config ``size=`` and its volume), never shrink.

Refusals as qemu-server's ``resize_vm`` (PVE/API2/Qemu.pm): a missing disk, a CD-ROM, a size smaller than the
volume's real one.
"""

from __future__ import annotations

import re

from pvectl.sim import vmconf, volumes
from pvectl.sim.handlers.qemu import _check_lock, _vm
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail

SIZE = re.compile(r"(\+?)(\d+(?:\.\d+)?)([KMGT]?)")


@route("PUT /nodes/{node}/qemu/{vmid}/resize")
def resize(ctx: Ctx) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    _check_lock(ctx, vm)
    disk = str(ctx.text("disk"))
    text = vm["config"].get(disk)
    if text is None:
        raise ApiFail(500, f"disk '{disk}' does not exist")
    values = vmconf.parse_drive(disk, str(text))
    if values.get("media") == "cdrom":
        raise ApiFail(500, "you can't resize a cdrom")
    # resize_vm measures the volume (PVE::Storage::volume_size_info), not the config's size=
    volume = volumes.find(ctx.state, values.get("file", ""), vm["node"])
    current = int(volume["size"]) if volume is not None and volume.get("size") else 0
    current = current or vmconf.size_bytes(values.get("size", "0"))
    m = SIZE.fullmatch(str(ctx.text("size")))
    if m is None:
        raise ApiFail(400, "invalid size")
    amount = vmconf.size_bytes(m.group(2) + m.group(3))
    new = current + amount if m.group(1) else amount
    if new < current:
        raise ApiFail(500, "shrinking disks is not supported")
    values["size"] = vmconf.human_size(new / 1024**3)
    vm["config"][disk] = vmconf.render_drive(disk, values)
    ctx.changed()
    if volume is not None:
        volume["size"] = new
    return ctx.task(vm["node"], "resize", str(vmid))
