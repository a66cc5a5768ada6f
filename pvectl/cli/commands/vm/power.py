"""``pvectl vm start|stop|shutdown|reboot|delete``: one VM by id or name, or many through the selector flags
(then in parallel, with a confirmation for destructive verbs and a per-VM outcome table)."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

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
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.vm.bulk import DEFAULT_PARALLEL

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.actions import Power
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.selector import Selector

# Verbs PVE can run as one server task over many VMs (/cluster/bulk-action/guest/*, PVE >= 9.0)
SERVER_SIDE = {"start", "shutdown", "suspend"}
ServerSideOpt = Annotated[
    bool,
    typer.Option(
        "--server-side",
        help="Let PVE run it as one task over all matched VMs (PVE 9.0+: /cluster/bulk-action/guest/...): one "
        "request instead of one per VM, but no per-VM progress, and Ctrl-C cannot hold back VMs not yet started "
        "(the task goes on). Outcomes per VM are read after the task. Without it, pvectl drives each VM itself "
        "(--parallel N), which works on every release.",
    ),
]

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
    server_side: bool = False,
) -> None:
    from pvectl.cli.commands.vm import select
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.vm import bulk

    select.require(sel, verb)
    if parallel < 1:
        raise CliError("--parallel: must be at least 1", USAGE)
    if server_side and no_wait:
        raise CliError(
            "--no-wait: not with --server-side (pvectl waits for PVE's task to read each VM's outcome)", USAGE
        )
    client = ctx.obj.client()
    if server_side:
        from pvectl.vm.bulkaction import unsupported

        problem = unsupported(client, verb)
        if problem is not None:
            raise CliError(problem, USAGE)
    refs = select.matched(client, sel)
    if not refs:
        print(f"no VM matches ({sel.describe()}); nothing to do", file=sys.stderr)
        return
    if dry_run:
        if server_side:
            select.dry_run(ctx, refs, lambda r: f"POST /cluster/bulk-action/guest/{verb} (vms: one task for all)", verb)
            return
        select.dry_run(ctx, refs, lambda r: " ".join(path(r)), verb)
        return
    if verb in DESTRUCTIVE and not yes:
        n = select.count(len(refs))
        extra = " and their disks" if verb == "delete" else ""
        select.confirm(f"{QUESTION[verb]} {n}{extra}?", f"refusing to {verb} {n}")
    if server_side:
        from pvectl.vm import bulkaction

        results = bulkaction.run(client, verb, refs, parallel=parallel, timeout=seconds, past=past)
        for result in results:
            select.progress_line(result)
        select.report(ctx, results)
        return
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


GUEST_WAITS = ("agent", "ip")
Wait = Annotated[
    str | None,
    typer.Option(
        "--wait",
        metavar="ready|agent|ip",
        help="ready: the start task (default); agent/ip: then until the guest agent answers / the first address "
        "(printed; -o json: every interface). One VM; exit 7 when --timeout runs out first.",
        show_default=False,
    ),
]


def _check_wait(wait: str | None, single: bool, no_wait: bool) -> str | None:
    """The guest condition of ``vm start --wait`` (None: the task only); usage errors before anything is sent."""
    from pvectl.cli.errors import USAGE, CliError

    if wait is None or wait == "ready":
        return None
    if wait not in GUEST_WAITS:
        raise CliError(f"--wait: expected one of ready, {', '.join(GUEST_WAITS)}, got '{wait}'", USAGE)
    if not single:
        raise CliError(f"--wait {wait}: one VM at a time (then: pvectl vm wait ID --for {wait})", USAGE)
    if no_wait:
        raise CliError(f"--no-wait and --wait {wait} exclude each other", USAGE)
    return wait


def _start_and_wait(ctx: typer.Context, ref: VmRef, condition: str, seconds: float) -> None:
    """Start the VM unless it runs already, wait for its task, then for ``condition`` (wait_for_vm prints it);
    the "started" line goes to stderr so that ``IP=$(pvectl vm start web1 --wait ip)`` gets the address only."""
    from pvectl.cli.commands.vm.wait import wait_for_vm
    from pvectl.cli.tasks import wait_and_report
    from pvectl.vm.actions import power

    client = ctx.obj.client()
    if ref.status == "running":
        print(f"VM {ref.vmid} ({ref.name or 'no name'}) is running already", file=sys.stderr)
    else:
        task = power(client, ref.node, ref.vmid, "start")
        wait_and_report(
            ctx,
            client,
            task.upid.raw,
            timeout=seconds,
            doing=f"VM {ref.vmid} is being started",
            step="VM start",
            vmid=ref.vmid,
            node=ref.node,
        )
        print(f"VM {ref.vmid} ({ref.name or 'no name'}) started", file=sys.stderr)
    wait_for_vm(ctx, client, ref, condition, timeout=seconds)


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
        server_side: ServerSideOpt = False,
        wait: Wait = None,
    ) -> None:
        with reported():
            from pvectl.cli.commands.vm import daily, select
            from pvectl.vm.actions import power

            seconds = daily._wait_seconds(ctx, timeout)
            sel = select.selector(vms, selectors, pool, node, name, status, all_vms)
            guest = _check_wait(wait, sel.single and not server_side, no_wait)
            if not sel.single or dry_run or server_side:
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
                    server_side=server_side,
                )
                return
            client = ctx.obj.client()
            ref = daily._find(client, sel.keys[0])
            if guest is not None:
                _start_and_wait(ctx, ref, guest, seconds)
                return
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
        f"(--parallel N at a time{'; a selection asks first unless --yes' if action in DESTRUCTIVE else ''})."
    )
    # flags only some verbs have: --server-side where PVE has a bulk action, --wait agent|ip on start (only
    # start brings a guest up)
    dropped = {"server_side"} if action not in SERVER_SIDE else set()
    if action != "start":
        dropped.add("wait")
    if dropped:
        sig = inspect.signature(command, eval_str=True)  # Typer reads the Annotated metadata from it
        command.__signature__ = sig.replace(  # type: ignore[attr-defined]
            parameters=[p for p in sig.parameters.values() if p.name not in dropped]
        )
    return command


def _destroy(client: ProxmoxClient, ref: VmRef, purge: bool, stop: bool = False, seconds: float = 600) -> str:
    from pvectl.vm.actions import destroy, power

    if stop and ref.status in ("running", "paused"):  # --stop: PVE deletes only stopped VMs
        power(client, ref.node, ref.vmid, "stop").wait(timeout=seconds)
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
    stop: bool = typer.Option(False, "--stop", help="Stop running VMs first (PVE deletes only stopped VMs)."),
    dry_run: DryRunOpt = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    no_wait: NoWait = False,
    timeout: Timeout = None,
) -> None:
    """Delete VMs and their disks: one by id or name, or many by selector (always asks first unless --yes)."""
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
                submit=lambda client, r: _destroy(client, r, purge, stop, seconds),
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
        running = ref.status in ("running", "paused")
        if running and not stop:
            # qemu-server src/PVE/API2/Qemu.pm destroy_vm refuses a running VM ("VM N is running - destroy
            # failed"): say so before asking, not after
            raise CliError(
                f"VM {ref.vmid} ({ref.name or 'no name'}) is {ref.status}: PVE deletes only stopped VMs "
                "(nothing was sent)",
                USAGE,
                [f"stop it first: pvectl vm delete {ref.vmid} --stop"],
            )
        if not yes:
            select.confirm(
                f"{'Stop and delete' if running else 'Delete'} VM {ref.vmid} ({ref.name or 'no name'}) on "
                f"{ref.node} and its disks?",
                f"refusing to delete VM {ref.vmid}",
            )
        upid = _destroy(client, ref, purge, stop, seconds)
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
