"""The whole ``-i`` sequence: login if needed, every step, a review menu (any step can be asked again), the
summary (the --dry-run text), confirm, submit. Declining returns to the review; Esc asks before discarding."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from pvectl.cli.errors import INTERRUPTED, USAGE, CliError
from pvectl.prompts.ask import Escaped, choice, confirm, has_terminal, say, select
from pvectl.prompts.cloudinit import ask_cloudinit
from pvectl.prompts.disks import ask_disks
from pvectl.prompts.nics import ask_more_nics
from pvectl.prompts.questions import Session
from pvectl.prompts.steps import TITLES, run_step
from pvectl.vm import leaving
from pvectl.vm.fields import OPTIONAL_STEPS, STEPS
from pvectl.vm.osdefaults import apply_os_presets
from pvectl.vm.summary import step_parts

if TYPE_CHECKING:
    import typer

    from pvectl.vm.config import VmConfig
    from pvectl.vm.reference import ReferenceData

NO_TERMINAL = (
    "-i/--interactive needs a terminal; give the fields as flags instead "
    "(e.g. pvectl vm create --node pve1 --name web1; see 'pvectl vm create --help')"
)
CREATE, DISCARD = "\x00create", "\x00discard"
WIDTH = 72  # a review line: the step's values, cut to fit a terminal line
ASKED = (*STEPS, *OPTIONAL_STEPS)


class Discarded(KeyboardInterrupt):
    """The user chose to discard the answers (nothing was sent)."""


def discard_asked() -> None:
    """After Esc: raise Discarded when the user confirms; Esc again (or "no") goes back to the question."""
    try:
        if confirm("Discard your answers? nothing was sent", False):
            raise Discarded
    except Escaped:
        return


def ask_step(session: Session, step: str) -> None:
    """Ask one step; Esc asks before discarding, and "no" asks the step again from where it started."""
    while True:
        before = session.config.model_copy(deep=True)
        try:
            if step == "disks":
                ask_disks(session)
            elif step == "cloudinit":
                ask_cloudinit(session)
            else:
                run_step(session, step)
                if step == "network":
                    ask_more_nics(session)  # net1, net2, ... (the disks step adds disks the same way)
            return
        except Escaped:
            session.config = before
            discard_asked()


def review_line(session: Session, step: str) -> str:
    line = f"{TITLES[step]:8} " + " · ".join(step_parts(session.config, step))
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def review(session: Session, *, create: str) -> None:
    """The review menu until the user picks ``create``; a step picked is asked again with the current answers."""
    review_menu(create, lambda: [(review_line(session, s), s) for s in ASKED], lambda step: ask_step(session, step))


def review_menu(create: str, lines: Callable[[], list[tuple[str, str]]], ask: Callable[[str], None]) -> None:
    """The review menu of any guest kind: ``create``, a line per step (``lines()``: label and step, read again
    after each change), Discard; a step picked is passed to ``ask``; Esc asks before discarding."""
    while True:
        options = [choice(create, CREATE), *(choice(label, step) for label, step in lines())]
        options.append(choice("Discard the answers and quit (nothing is sent)", DISCARD))
        try:
            answer = select("Review: change a step, or go on", options, CREATE)
        except Escaped:
            discard_asked()
            continue
        if answer == CREATE:
            return
        if answer == DISCARD:
            raise Discarded
        ask(answer)


def collect(config: VmConfig, ref: ReferenceData) -> VmConfig:
    """Ask every step in workflow order, starting from ``config`` (defaults, config file and flags)."""
    session = Session(config.model_copy(deep=True), ref)
    for note in apply_os_presets(session.config).notes():
        say(f"note: {note}")
    for step in ASKED:
        ask_step(session, step)
    return session.config


def left(line: str) -> NoReturn:
    """The user left before anything was sent: one plain line (no ``error:``), exit 130, as the TUI does."""
    import typer

    print(line, file=sys.stderr)
    raise typer.Exit(INTERRUPTED)


def run_prompts(ctx: typer.Context, config: VmConfig, *, dry_run: bool, allow_duplicate_name: bool = False) -> None:
    """``pvectl vm create -i``: ask, review, show the plan, confirm, submit. Nothing is sent before "yes"."""
    from pvectl.cli.commands.vm.report import Progress, print_plan, show_outcome
    from pvectl.prompts.login import connect
    from pvectl.vm.reference import ReferenceData
    from pvectl.vm.workflow import WorkflowError, check_and_plan, submit

    if not has_terminal():
        raise CliError(NO_TERMINAL, USAGE)
    try:
        client = connect(ctx.obj)
        session = Session(config.model_copy(deep=True), ReferenceData(client))
        for note in apply_os_presets(session.config).notes():  # the OS given as a flag presets the rest
            say(f"note: {note}")
        for step in ASKED:
            ask_step(session, step)
        while True:
            review(session, create="Show the plan" if dry_run else "Create the VM (the plan is shown first)")
            try:
                resolution, plan = check_and_plan(
                    client, session.config, strict=False, allow_duplicate_name=allow_duplicate_name
                )
            except WorkflowError as exc:
                say(f"error: {exc}")
                for line in exc.details:
                    say(f"  {line}")
                continue  # back to the review: fix the step named
            for note in resolution.notes:
                say(f"note: {note}")
            print_plan(ctx, plan, resolution.config)
            if dry_run:
                return
            try:
                if confirm(f"Create VM {plan.vmid} on {plan.node}?", True):
                    break
            except Escaped:
                pass
            say("Not created; back to the review (nothing was sent).")
    except Discarded:
        left(leaving.DISCARDED)
    except KeyboardInterrupt:  # Ctrl-C, or "abort" after a loading error
        left(leaving.INTERRUPTED)
    except EOFError:  # Ctrl-D, or the input closed
        left(leaving.END_OF_INPUT)
    # Ctrl-C while requests run: the submitter returns the "interrupted" outcome (what exists, the UPID, the
    # commands that finish the job), printed as for the flags
    from pvectl.vm.submit import FLAG_REMEDY

    outcome = submit(client, resolution, on_event=Progress(verbose=True))
    if FLAG_REMEDY in outcome.message:  # the VM ID typed was taken meanwhile: the prompts' words, the next free id
        nextid = ReferenceData(client).next_vmid()
        free = f" (now {nextid.value})" if nextid.state == "ready" else ""
        remedy = f"run again and choose another VM ID, or leave it empty to take the next free one{free}"
        outcome.message = outcome.message.replace(FLAG_REMEDY, remedy)
    show_outcome(ctx, outcome)
