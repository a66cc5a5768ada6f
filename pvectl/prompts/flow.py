"""The whole ``-i`` sequence: login if needed, every step, the summary (the --dry-run text), confirm, submit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pvectl.cli.errors import INTERRUPTED, USAGE, CliError
from pvectl.prompts.ask import confirm, has_terminal, say
from pvectl.prompts.disks import ask_disks
from pvectl.prompts.questions import Session
from pvectl.prompts.steps import run_step
from pvectl.vm.fields import STEPS

if TYPE_CHECKING:
    import typer

    from pvectl.vm.config import VmConfig
    from pvectl.vm.reference import ReferenceData

NO_TERMINAL = (
    "-i/--interactive needs a terminal; give the fields as flags instead "
    "(e.g. pvectl vm create --node pve1 --name web1; see 'pvectl vm create --help')"
)


def collect(config: VmConfig, ref: ReferenceData) -> VmConfig:
    """Ask every step in workflow order, starting from ``config`` (defaults, config file and flags)."""
    session = Session(config.model_copy(deep=True), ref)
    for step in STEPS:
        if step == "disks":
            ask_disks(session)
        else:
            run_step(session, step)
    return session.config


def run_prompts(ctx: typer.Context, config: VmConfig, *, dry_run: bool) -> None:
    """``pvectl vm create -i``: ask, show the plan, confirm, submit. Ctrl-C/Esc before submitting sends nothing."""
    from pvectl.cli.commands.vm.report import Progress, print_plan, show_outcome
    from pvectl.prompts.login import connect
    from pvectl.vm.reference import ReferenceData
    from pvectl.vm.workflow import check_and_plan, submit

    if not has_terminal():
        raise CliError(NO_TERMINAL, USAGE)
    try:
        client = connect(ctx.obj)
        answers = collect(config, ReferenceData(client))
        resolution, plan = check_and_plan(client, answers, strict=False)
        for note in resolution.notes:
            say(f"note: {note}")
        print_plan(ctx, plan)
        if dry_run:
            return
        if not confirm(f"Create VM {plan.vmid} on {plan.node}?", True):
            raise CliError("not created: nothing was sent", INTERRUPTED)
    except KeyboardInterrupt:  # Ctrl-C, Esc, or "abort" after a loading error
        raise CliError("interrupted: nothing was sent", INTERRUPTED) from None
    except EOFError:  # Ctrl-D, or the input closed
        raise CliError("end of input: nothing was sent", INTERRUPTED) from None
    show_outcome(ctx, submit(client, resolution, on_event=Progress(verbose=True)))
