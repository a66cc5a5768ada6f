"""``pvectl vm start|stop|shutdown|reboot|delete``: one VM by id or name, or many through the selector flags
(then in parallel, with a confirmation for destructive verbs and a per-VM outcome table)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from pvectl.cli.commands.vm.daily import NoWait, Timeout
from pvectl.cli.commands.vm.select import (
    AllOpt,
    DryRunOpt,
    NameOpt,
    NodeOpt,
    ParallelOpt,
    PoolOpt,
    SelectorOpt,
    StatusOpt,
    VmArgs,
    YesOpt,
)
from pvectl.cli.errors import reported
from pvectl.vm.bulk import DEFAULT_PARALLEL

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.actions import Power
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.selector import Selector

# Verbs that take a running service away: a selection of VMs asks first (or needs --yes).
DESTRUCTIVE = {"stop", "shutdown", "reboot", "delete", "suspend"}
QUESTION = {"stop": "Stop", "shutdown": "Shut down", "reboot": "Reboot", "delete": "Delete", "suspend": "Suspend"}


def _bulk(
    ctx: typer.Context,
    verb: str,
    sel: Selector,
    *,
    path: Callable[[VmRef], tuple[str, str]],
    submit: Callable[[ProxmoxClient, VmRef], str],
    past: str,
    yes: bool,
    dry_run: bool,
    parallel: int,
    no_wait: bool,
    seconds: float,
) -> None:
    from pvectl.cli.commands.vm import select
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.vm import bulk

    select.require(sel, verb)
    if parallel < 1:
        raise CliError("--parallel: must be at least 1", USAGE)
    client = ctx.obj.client()
    refs = select.matched(client, sel)
    if not refs:
        print(f"no VM matches ({sel.describe()}); nothing to do", file=sys.stderr)
        return
    if dry_run:
        select.dry_run(ctx, refs, lambda r: " ".join(path(r)), verb)
        return
    if verb in DESTRUCTIVE and not yes:
        n = select.count(len(refs))
        extra = " and their disks" if verb == "delete" else ""
        select.confirm(f"{QUESTION[verb]} {n}{extra}?", f"refusing to {verb} {n}")
    results = bulk.run(
        client,
        refs,
        lambda ref: submit(client, ref),
        past=past,
        parallel=parallel,
        timeout=seconds,
        wait_tasks=not no_wait,
        on_result=select.progress_line,
    )
    select.report(ctx, results)


def _power(action: Power, past: str, doing: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        vms: VmArgs = None,
        selectors: SelectorOpt = None,
        pool: PoolOpt = None,
        node: NodeOpt = None,
        name: NameOpt = None,
        status: StatusOpt = None,
        all_vms: AllOpt = False,
        yes: YesOpt = False,
        dry_run: DryRunOpt = False,
        parallel: ParallelOpt = DEFAULT_PARALLEL,
        no_wait: NoWait = False,
        timeout: Timeout = None,
    ) -> None:
        with reported():
            from pvectl.cli.commands.vm import daily, select
            from pvectl.vm.actions import power

            seconds = daily._wait_seconds(ctx, timeout)
            sel = select.selector(vms, selectors, pool, node, name, status, all_vms)
            if not sel.single or dry_run:
                _bulk(
                    ctx,
                    action,
                    sel,
                    path=lambda r: ("POST", f"/nodes/{r.node}/qemu/{r.vmid}/status/{action}"),
                    submit=lambda client, r: power(client, r.node, r.vmid, action).upid.raw,
                    past=past,
                    yes=yes,
                    dry_run=dry_run,
                    parallel=parallel,
                    no_wait=no_wait,
                    seconds=seconds,
                )
                return
            client = ctx.obj.client()
            ref = daily._find(client, sel.keys[0])
            task = power(client, ref.node, ref.vmid, action)
            daily._finish(
                ctx,
                client,
                task.upid.raw,
                no_wait,
                f"VM {ref.vmid} ({ref.name or 'no name'}) {past}",
                timeout=seconds,
                doing=f"VM {ref.vmid} is being {doing}",
                step=f"VM {action}",
                ref=ref,
            )

    command.__doc__ = (
        f"{action.capitalize()} VMs and wait for the tasks: one by id or name, or many by selector "
        f"(--parallel N at a time{', asks first unless --yes' if action in DESTRUCTIVE else ''})."
    )
    return command


def _destroy(client: ProxmoxClient, ref: VmRef, purge: bool) -> str:
    from pvectl.vm.actions import destroy

    # PVE refuses to delete an HA-managed VM unless purge removes its HA resource too
    return destroy(client, ref.node, ref.vmid, purge=purge or bool(ref.raw.get("hastate"))).upid.raw


def delete(
    ctx: typer.Context,
    vms: VmArgs = None,
    selectors: SelectorOpt = None,
    pool: PoolOpt = None,
    node: NodeOpt = None,
    name: NameOpt = None,
    status: StatusOpt = None,
    all_vms: AllOpt = False,
    yes: YesOpt = False,
    purge: bool = typer.Option(False, "--purge", help="Also remove them from backups, HA and replication."),
    dry_run: DryRunOpt = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    no_wait: NoWait = False,
    timeout: Timeout = None,
) -> None:
    """Delete VMs and their disks: one by id or name, or many by selector (asks first unless --yes)."""
    with reported():
        from pvectl.cli.commands.vm import daily, select

        seconds = daily._wait_seconds(ctx, timeout)
        sel = select.selector(vms, selectors, pool, node, name, status, all_vms)
        if not sel.single or dry_run:
            _bulk(
                ctx,
                "delete",
                sel,
                path=lambda r: ("DELETE", f"/nodes/{r.node}/qemu/{r.vmid}"),
                submit=lambda client, r: _destroy(client, r, purge),
                past="deleted",
                yes=yes,
                dry_run=dry_run,
                parallel=parallel,
                no_wait=no_wait,
                seconds=seconds,
            )
            return
        client = ctx.obj.client()
        ref = daily._find(client, sel.keys[0])
        if not yes:
            select.confirm(
                f"Delete VM {ref.vmid} ({ref.name or 'no name'}) on {ref.node} and its disks?",
                f"refusing to delete VM {ref.vmid}",
            )
        upid = _destroy(client, ref, purge)
        daily._finish(
            ctx,
            client,
            upid,
            no_wait,
            f"VM {ref.vmid} deleted",
            timeout=seconds,
            doing=f"VM {ref.vmid} is being deleted",
            step="VM delete",
            ref=ref,
        )


start = _power("start", "started", "started")
stop = _power("stop", "stopped", "stopped")
shutdown = _power("shutdown", "shut down", "shut down")
reboot = _power("reboot", "rebooted", "rebooted")
suspend = _power("suspend", "suspended (paused)", "suspended")
resume = _power("resume", "resumed", "resumed")
