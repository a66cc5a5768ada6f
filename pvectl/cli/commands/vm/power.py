"""``pvectl vm start|stop|shutdown|reboot|suspend|resume|delete``: one VM by id or name, or many through the
selector flags (then in parallel, with a confirmation for destructive verbs and a per-VM outcome table).
The work is planned by pvectl.guest.ops.power and run by pvectl.guest.run; this module parses and renders."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import options
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.options import Bulk, Selection, Waiting

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
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


def _question(verb: str, single: bool, extra: str = "") -> Callable[[int], str] | None:
    """The confirmation of a destructive verb on a selection (one VM named by id or name: no question)."""
    from pvectl.cli.render import count

    if verb not in DESTRUCTIVE or single:
        return None
    return lambda n: f"{QUESTION[verb]} {count(n, 'VM')}{extra}?"


def _server_side(
    ctx: typer.Context, client: ProxmoxClient, verb: str, refs: list[VmRef], bulk: Bulk, seconds: float
) -> None:
    from pvectl.cli import render
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.vm import bulkaction

    problem = bulkaction.unsupported(client, verb)
    if problem is not None:
        raise CliError(problem, USAGE)
    if bulk.dry_run:
        request = f"POST /cluster/bulk-action/guest/{verb} (vms: one task for all)"
        rows = [{"vmid": r.vmid, "name": r.name, "node": r.node, "status": r.status, "request": request} for r in refs]
        from pvectl.cli.output import show

        show(ctx, rows, columns=render.PLAN_COLUMNS)
        return
    question = _question(verb, False)
    if question is not None and not bulk.yes:
        from pvectl.cli.writes import confirm

        confirm(question(len(refs)), f"refusing to {verb} {render.count(len(refs), 'VM')}")
    from pvectl.guest.ops.power import PAST

    results = bulkaction.run(client, verb, refs, parallel=bulk.parallel, timeout=seconds, past=PAST[verb])
    for result in results:
        render.progress(result.outcome)
    render.many(ctx, [r.outcome for r in results])


def _selected(ctx: typer.Context, client: ProxmoxClient, sel: Selector, verb: str) -> list[VmRef]:
    """The matched VMs; an empty selection says so on stderr (exit 0, nothing sent)."""
    from pvectl.cli.writes import require, resolve

    require(sel, verb)
    refs = resolve(client, sel)
    if not refs:
        print(f"no VM matches ({sel.describe()}); nothing to do", file=sys.stderr)
    return refs


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


def _power(action: str) -> Callable[..., None]:
    @options.selection()
    @options.bulk()
    @options.waiting()
    def command(
        ctx: typer.Context,
        selection: Selection,
        bulk: Bulk,
        waiting: Waiting,
        server_side: ServerSideOpt = False,
        wait: Wait = None,
    ) -> None:
        with reported():
            from pvectl.cli.writes import run_steps
            from pvectl.guest.ops.power import plan_power

            seconds = waiting.seconds(ctx)
            sel = selection.selector()
            guest = _check_wait(wait, sel.single and not server_side, waiting.no_wait)
            bulk.check()
            if server_side and waiting.no_wait:
                raise CliError(
                    "--no-wait: not with --server-side (pvectl waits for PVE's task to read each VM's outcome)", USAGE
                )
            client = ctx.obj.client()
            refs = _selected(ctx, client, sel, action)
            if not refs:
                return
            if server_side:
                _server_side(ctx, client, action, refs, bulk, seconds)
                return
            if guest is not None:
                _start_and_wait(ctx, refs[0], guest, seconds)
                return
            steps = plan_power(refs, action)
            run_steps(ctx, client, steps, single=sel.single, bulk=bulk, waiting=waiting, seconds=seconds,
                      verb=action, question=_question(action, sel.single))  # fmt: skip

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
        sig = inspect.signature(command)
        command.__signature__ = sig.replace(  # type: ignore[attr-defined,unused-ignore]
            parameters=[p for p in sig.parameters.values() if p.name not in dropped]
        )
    return command


@options.selection()
@options.bulk()
@options.waiting()
def delete(
    ctx: typer.Context,
    selection: Selection,
    bulk: Bulk,
    waiting: Waiting,
    purge: bool = typer.Option(False, "--purge", help="Also remove them from backups, HA and replication."),
    stop: bool = typer.Option(False, "--stop", help="Stop running VMs first (PVE deletes only stopped VMs)."),
) -> None:
    """Delete VMs and their disks: one by id or name, or many by selector (always asks first unless --yes)."""
    with reported():
        from pvectl.cli.writes import run_steps
        from pvectl.guest.ops.power import plan_delete

        seconds = waiting.seconds(ctx)
        sel = selection.selector()
        bulk.check()
        client = ctx.obj.client()
        refs = _selected(ctx, client, sel, "delete")
        if not refs:
            return
        if sel.single:
            _refuse_running(refs[0], stop)
        if sel.single and not bulk.yes and not bulk.dry_run:
            ref = refs[0]
            from pvectl.cli.writes import confirm

            doing = "Stop and delete" if stop and ref.status in RUNNING else "Delete"
            confirm(f"{doing} VM {ref.vmid} ({ref.name or 'no name'}) on {ref.node} and its disks?",
                    f"refusing to delete VM {ref.vmid}")  # fmt: skip
        question = _question("delete", sel.single, " and their disks")
        steps = plan_delete(refs, purge=purge, stop=stop, wait=not waiting.no_wait, timeout=seconds)
        run_steps(ctx, client, steps, single=sel.single, bulk=bulk, waiting=waiting, seconds=seconds,
                  verb="delete", question=question)  # fmt: skip


RUNNING = ("running", "paused")  # /cluster/resources states of a VM whose QEMU process runs


def _refuse_running(ref: VmRef, stop: bool) -> None:
    """One named VM that runs, without --stop: refused before the question, nothing sent. PVE would refuse it
    after (qemu-server src/PVE/API2/Qemu.pm destroy_vm: "VM N is running - destroy failed")."""
    if ref.status in RUNNING and not stop:
        raise CliError(
            f"VM {ref.vmid} ({ref.name or 'no name'}) is {ref.status}: PVE deletes only stopped VMs (nothing was sent)",
            USAGE,
            [f"stop it first: pvectl vm delete {ref.vmid} --stop"],
        )


start = _power("start")
stop = _power("stop")
shutdown = _power("shutdown")
reboot = _power("reboot")
suspend = _power("suspend")
resume = _power("resume")
