"""``pvectl ct start|stop|shutdown|reboot|suspend|resume|delete``: one container by id or hostname, or many
through the selector flags (in parallel, a confirmation for destructive verbs, a per-container outcome table).
Planned by pvectl.guest.ops.power and run by pvectl.guest.run, as the vm verbs are."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from pvectl.cli import options
from pvectl.cli.errors import reported
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
        if sel.single and not bulk.yes and not bulk.dry_run:
            ref = refs[0]
            confirm(f"Delete CT {ref.vmid} ({ref.name or 'no name'}) on {ref.node} and its volumes?",
                    f"refusing to delete CT {ref.vmid}")  # fmt: skip
        ask = question("delete", sel.single, " and their volumes")
        run_steps(ctx, client, plan_delete(refs, purge=purge), single=sel.single, bulk=bulk, waiting=waiting,
                  seconds=seconds, verb="delete", question=ask)  # fmt: skip


start = _power("start")
stop = _power("stop")
shutdown = _power("shutdown")
reboot = _power("reboot")
suspend = _power("suspend")
resume = _power("resume")
