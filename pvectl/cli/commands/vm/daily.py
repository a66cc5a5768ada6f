"""The daily ``pvectl vm`` commands: list, show, serial-console (power verbs and delete: power.py)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli import completers, options
from pvectl.cli.errors import NOT_FOUND, USAGE, CliError, reported
from pvectl.cli.fleet import NameOpt, PoolOpt, SelectorOpt
from pvectl.cli.runner import output_format

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

VmArg = Annotated[
    str,
    typer.Argument(help="VM id or name (found across the cluster).", show_default=False, autocompletion=completers.vm),
]
NoWait = options.NoWait
Timeout = options.Timeout
LIST_COLUMNS = ("vmid", "name", "node", "status", "tags", "cpus", "memory")
WIDE_COLUMNS = ("vmid", "name", "node", "status", "pool", "tags", "template", "ha", "lock", "cpus", "maxmem", "uptime")
# What /cluster/resources reports as a VM's status: PVE::QemuServer::vmstatus gives running|stopped (the same
# enum as GET /nodes/{node}/qemu/{vmid}/status/current), and the cluster marks guests of an offline node unknown.
VM_STATES = ("running", "stopped", "paused", "unknown")  # pvectl.vm.selector.STATES


def _find(client: ProxmoxClient, key: str) -> VmRef:
    from pvectl.vm.lookup import VmAmbiguous, VmNotFound, lookup

    try:
        return lookup(client, key)
    except VmNotFound as exc:  # an ambiguous name is a usage error: the id picks one
        raise CliError(str(exc), USAGE if isinstance(exc, VmAmbiguous) else NOT_FOUND) from None


def _wait_seconds(ctx: typer.Context, timeout: str | None) -> float:
    return options.wait_seconds(ctx, timeout)


def _finish(
    ctx: typer.Context,
    client: ProxmoxClient,
    upid: str,
    no_wait: bool,
    done: str,
    *,
    timeout: float,
    doing: str,
    step: str,
    ref: VmRef,
) -> None:
    from pvectl.cli.tasks import wait_and_report

    if no_wait:
        from pvectl.cli.runner import print_upid

        print_upid(ctx, upid)
        return
    wait_and_report(ctx, client, upid, timeout=timeout, doing=doing, step=step, vmid=ref.vmid, node=ref.node)
    from pvectl.cli.safe_text import safe_text
    from pvectl.vm.actions import settle

    settle(client, upid, timeout)  # HA start/stop: the task only filed the request (pvectl.vm.actions)
    print(safe_text(done), file=sys.stderr if output_format(ctx) == "json" else sys.stdout)


def list_vms(
    ctx: typer.Context,
    node: Annotated[
        str | None,
        typer.Option("--node", help="Only VMs on this node.", show_default=False, autocompletion=completers.node),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Only VMs with this tag.", show_default=False, autocompletion=completers.tag),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only VMs in this state (running, stopped, unknown).",
            show_default=False,
            autocompletion=completers.choices(VM_STATES),
        ),
    ] = None,
    selectors: SelectorOpt = None,
    pool: PoolOpt = None,
    name: NameOpt = None,
) -> None:
    """List the cluster's VMs (no node needed); the selector flags narrow the list."""
    with reported():
        from pvectl.cli import fleet as select
        from pvectl.cli.output import show, whole
        from pvectl.vm.lookup import cluster_vms, matches

        client = ctx.obj.client()
        _check_filters(client, node=node, status=status)
        sel = select.selector(None, selectors, pool, None, name, None, False)
        everything = sel.select(cluster_vms(client))
        vms = [vm for vm in everything if matches(vm, node=node, tag=tag, status=status)]
        rows = [
            {
                "vmid": vm.vmid,
                "name": vm.name,
                "node": vm.node,
                "status": vm.status,
                "tags": ";".join(vm.tags),
                "cpus": vm.raw.get("maxcpu"),
                "memory": whole(vm.raw.get("maxmem"), 1024 * 1024),
                **_wide(vm.raw),
            }
            for vm in vms
        ]
        show(ctx, rows, columns=LIST_COLUMNS, wide=WIDE_COLUMNS)


def _wide(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The keys ``-o wide`` adds, from the /cluster/resources row: template (0/1), the HA state (``hastate``,
    only for HA-managed guests), a lock (backup, migrate, ...), uptime in seconds, pool, memory in bytes."""
    from pvectl.cli.output import whole

    return {
        "pool": raw.get("pool") or "",
        "template": bool(raw.get("template")),
        "ha": raw.get("hastate") or "",
        "lock": raw.get("lock") or "",
        "uptime": whole(raw.get("uptime")),
        "maxmem": whole(raw.get("maxmem")),
    }


def _check_filters(client: ProxmoxClient, *, node: str | None, status: str | None) -> None:
    """A filter value that can never match is a usage error, not an empty list (nothing else is sent); the same
    checks as every selector's (pvectl.vm.selector)."""
    from pvectl.sdk._core.answers import as_rows
    from pvectl.vm.selector import SelectorError, check_node, check_status

    try:
        if status is not None:
            check_status(status)
        if node is not None:
            check_node(node, (str(n["node"]) for n in as_rows("GET /nodes", client.nodes.list())))
    except SelectorError as exc:
        raise CliError(str(exc), USAGE) from None


def show(ctx: typer.Context, vm: VmArg) -> None:
    """A VM's configuration and current status."""
    with reported():
        from pvectl.cli.output import emit

        client = ctx.obj.client()
        ref = _find(client, vm)
        from pvectl.sdk._core.answers import as_object

        path = f"/nodes/{ref.node}/qemu/{ref.vmid}"
        config = as_object(f"GET {path}/config", client.nodes(ref.node).qemu(ref.vmid).config.get())
        current = as_object(f"GET {path}/status/current", client.nodes(ref.node).qemu(ref.vmid).status.current())
        emit(
            {"vmid": ref.vmid, "node": ref.node, "status": current.get("status", ref.status), **config},
            output_format(ctx),
        )


serial = typer.Typer(name="serial-console", help="Serial console of a VM.", no_args_is_help=True, add_completion=False)


@serial.command("enable")
def serial_enable(ctx: typer.Context, vm: VmArg) -> None:
    """Set serial0=socket and vga=serial0 (what vm create does after creating the VM)."""
    with reported():
        from pvectl.cli import render
        from pvectl.cli.writes import watched
        from pvectl.guest.ops.simple import serial_write
        from pvectl.sdk._core.answers import as_object

        client = ctx.obj.client()
        ref = _find(client, vm)
        path = f"/nodes/{ref.node}/qemu/{ref.vmid}/config"
        config = as_object(f"GET {path}", client.nodes(ref.node).qemu(ref.vmid).config.get())
        outcome = watched(client, serial_write(ref, str(config.get("digest") or "")), wait=True, seconds=None)
        render.one(ctx, outcome)
        if ref.status == "running" and outcome.ok:
            from pvectl.vm.pending import pending_report, waiting

            # A serial port does not hot-plug (qemu-server's vmconfig_hotplug_pending knows no `serialN`): on a
            # running VM PVE keeps both keys under [PENDING] until the next reboot.
            later = [e.key for e in waiting(pending_report(client, ref)) if e.key in ("serial0", "vga")]
            if later:
                print(
                    f"VM {ref.vmid} is running: {' and '.join(later)} take effect at its next reboot "
                    f"(pvectl vm reboot {ref.vmid})",
                    file=sys.stderr,
                )
