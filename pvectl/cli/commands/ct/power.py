"""``pvectl ct start|stop|shutdown|reboot|suspend|resume|delete``: one container by id or hostname, or many
through the selector flags (in parallel, a confirmation for destructive verbs, a per-container outcome table).
Planned by pvectl.guest.ops.power and run by pvectl.guest.run, as the vm verbs are."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import completers, options
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.options import Bulk, Selection, Waiting

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.selector import Selector

KINDS = ("lxc",)
DESTRUCTIVE = {"stop", "shutdown", "reboot", "delete", "suspend"}
QUESTION = {"stop": "Stop", "shutdown": "Shut down", "reboot": "Reboot", "delete": "Delete", "suspend": "Suspend"}


def question(verb: str, single: bool, extra: str = "") -> Callable[[int], str] | None:
    from pvectl.cli.render import count

    if verb not in DESTRUCTIVE or single:
        return None
    return lambda n: f"{QUESTION[verb]} {count(n, 'CT')}{extra}?"


def selected(client: ProxmoxClient, sel: Selector, verb: str) -> list[VmRef]:
    """The matched containers; an empty selection says so on stderr (exit 0, nothing sent)."""
    from pvectl.cli.writes import require, resolve

    require(sel, verb, noun="ct")
    refs = resolve(client, sel, KINDS)
    if not refs:
        print(f"no CT matches ({sel.describe()}); nothing to do", file=sys.stderr)
    return refs


def _power(action: str) -> Callable[..., None]:
    @options.selection("CT")
    @options.bulk("CT")
    @options.waiting("CT")
    def command(ctx: typer.Context, selection: Selection, bulk: Bulk, waiting: Waiting) -> None:
        with reported():
            from pvectl.cli.writes import run_steps
            from pvectl.guest.ops.power import plan_power

            seconds = waiting.seconds(ctx)
            sel = selection.selector()
            bulk.check()
            client = ctx.obj.client()
            refs = selected(client, sel, action)
            if refs:
                run_steps(ctx, client, plan_power(refs, action), single=sel.single, bulk=bulk, waiting=waiting,
                          seconds=seconds, verb=action, question=question(action, sel.single))  # fmt: skip

    command.__doc__ = (
        f"{action.capitalize()} containers and wait for the tasks: one by id or hostname, or many by selector "
        f"(--parallel N at a time{'; a selection asks first unless --yes' if action in DESTRUCTIVE else ''})."
    )
    return command


@options.selection("CT")
@options.bulk("CT")
@options.waiting("CT")
def delete(
    ctx: typer.Context,
    selection: Selection,
    bulk: Bulk,
    waiting: Waiting,
    purge: bool = typer.Option(False, "--purge", help="Also remove them from backups, HA and replication."),
    stop: bool = typer.Option(False, "--stop", help="Stop running containers first (PVE deletes only stopped ones)."),
) -> None:
    """Delete containers and their volumes: one by id or hostname, or many by selector (always asks first unless
    --yes)."""
    with reported():
        from pvectl.cli.writes import confirm, run_steps
        from pvectl.guest.ops.power import plan_delete

        seconds = waiting.seconds(ctx)
        sel = selection.selector()
        bulk.check()
        client = ctx.obj.client()
        refs = selected(client, sel, "delete")
        if not refs:
            return
        if sel.single:
            _refuse_running(refs[0], stop)
        if sel.single and not bulk.yes and not bulk.dry_run:
            ref = refs[0]
            doing = "Stop and delete" if stop and ref.status == "running" else "Delete"
            confirm(f"{doing} CT {ref.vmid} ({ref.name or 'no name'}) on {ref.node} and its volumes?",
                    f"refusing to delete CT {ref.vmid}")  # fmt: skip
        ask = question("delete", sel.single, " and their volumes")
        steps = plan_delete(refs, purge=purge, stop=stop, wait=not waiting.no_wait, timeout=seconds)
        run_steps(ctx, client, steps, single=sel.single, bulk=bulk, waiting=waiting, seconds=seconds, verb="delete",
                  question=ask)  # fmt: skip


def _refuse_running(ref: VmRef, stop: bool) -> None:
    """One named container that runs, without --stop: refused before the question, nothing sent, as vm delete
    does. PVE would refuse it (pve-container src/PVE/API2/LXC.pm destroy_vm: "unable to destroy CT N - container
    is running" unless its force parameter is set)."""
    if ref.status == "running" and not stop:
        raise CliError(
            f"CT {ref.vmid} ({ref.name or 'no name'}) is running: PVE deletes only stopped containers"
            " (nothing was sent)",
            USAGE,
            [f"stop it first: pvectl ct delete {ref.vmid} --stop"],
        )


WaitOpt = Annotated[
    str | None,
    typer.Option(
        "--wait",
        metavar="ready|ip",
        help="ready: the start task (default); ip: then until the container has an IPv4 address (printed; -o json:"
        " every interface). One CT; exit 7 when --timeout runs out.",
        show_default=False,
        autocompletion=completers.choices(("ready", "ip")),
    ),
]


@options.selection("CT")
@options.bulk("CT")
@options.waiting("CT")
def start(ctx: typer.Context, selection: Selection, bulk: Bulk, waiting: Waiting, wait: WaitOpt = None) -> None:
    """Start containers and wait for the tasks: one by id or hostname, or many by selector (--parallel N at a
    time); --wait ip prints the address, as vm start --wait ip does."""
    with reported():
        from pvectl.cli.writes import run_steps
        from pvectl.guest.ops.power import plan_power

        seconds = waiting.seconds(ctx)
        sel = selection.selector()
        if wait not in (None, "ready", "ip"):
            raise CliError(f"--wait: expected ready or ip, got '{wait}'", USAGE)
        if wait == "ip" and (not sel.single or waiting.no_wait):
            raise CliError("--wait ip: one container, named (and not with --no-wait)", USAGE)
        bulk.check()
        client = ctx.obj.client()
        refs = selected(client, sel, "start")
        if refs and wait == "ip":
            _start_and_wait_for_ip(ctx, client, refs[0], seconds)
        elif refs:
            run_steps(ctx, client, plan_power(refs, "start"), single=sel.single, bulk=bulk, waiting=waiting,
                      seconds=seconds, verb="start")  # fmt: skip


def _start_and_wait_for_ip(ctx: typer.Context, client: ProxmoxClient, ref: VmRef, seconds: float | None) -> None:
    """Start it on the runner unless it runs, then poll its interfaces; "started" goes to stderr so that
    ``IP=$(pvectl ct start web1 --wait ip)`` gets the address only."""
    from pvectl.cli import render
    from pvectl.cli.commands.ct.ip import wait_for_ip
    from pvectl.guest.ops.power import power_write
    from pvectl.guest.run import execute

    if ref.status == "running":
        print(f"CT {ref.vmid} ({ref.name or 'no name'}) is running already", file=sys.stderr)
    else:
        outcome = execute(client, power_write(ref, "start"), timeout=seconds)
        if not outcome.ok:
            render.one(ctx, outcome)
            return
        print(render.lines_of(outcome)[0], file=sys.stderr)
    wait_for_ip(ctx, client, ref.node, ref.vmid, timeout=seconds or 600.0)


stop = _power("stop")
shutdown = _power("shutdown")
reboot = _power("reboot")
suspend = _power("suspend")
resume = _power("resume")
