"""``pvectl vm resize VM DISK SIZE``: grow a disk (``+10G`` or an absolute ``64G``); a shrink is refused before
anything is sent, since PVE cannot shrink disks."""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl.cli.commands.vm.daily import NoWait, Timeout, VmArg
from pvectl.cli.errors import reported


def resize(
    ctx: typer.Context,
    vm: VmArg,
    disk: Annotated[str, typer.Argument(metavar="DISK", help="Disk key: scsi0, virtio1, ...", show_default=False)],
    size: Annotated[
        str, typer.Argument(metavar="SIZE", help="+10G (grow by) or 64G (new size); K, M, G, T.", show_default=False)
    ],
    no_wait: NoWait = False,
    timeout: Timeout = None,
) -> None:
    """Grow a VM disk (PVE cannot shrink: a smaller size is refused before sending)."""
    with reported():
        from pvectl.cli.commands.vm import daily
        from pvectl.cli.errors import USAGE, CliError
        from pvectl.sdk._core.answers import as_object
        from pvectl.vm import resize as domain

        seconds = daily._wait_seconds(ctx, timeout)
        client = ctx.obj.client()
        ref = daily._find(client, vm)
        path = f"/nodes/{ref.node}/qemu/{ref.vmid}"
        config = as_object(f"GET {path}/config", client.nodes(ref.node).qemu(ref.vmid).config.get())
        try:
            step = domain.plan_live(client, ref.node, dict(config), disk, size)
        except domain.ResizeError as exc:
            raise CliError(str(exc), USAGE) from None
        if step.unchanged:
            print(f"VM {ref.vmid}: {disk} is already {domain.human(step.current)}; nothing sent")
            return
        params: dict[str, object] = {"disk": disk, "size": step.size}
        digest = str(config.get("digest") or "")
        if digest:
            params["digest"] = digest  # PVE refuses if the config changed since it was read (the size checked)
        from pvectl.cli.writes import run_one
        from pvectl.guest.ops.simple import resize_write

        write = resize_write(ref, params, lambda cfg: domain.plan(cfg, disk, f"{step.new // 1024}K").unchanged)
        write.past = f"{disk} grown from {domain.human(step.current)} to {domain.human(step.new)}"
        run_one(ctx, client, write, no_wait=no_wait, seconds=seconds)
