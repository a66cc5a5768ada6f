"""The command side of a write: resolve the selection, confirm, dry-run, run the steps on guest.run, render.

Every write command ends here, so one guest and many get the same runner, the same confirmation and the same
rendering (``-o json`` prints the outcome object, or a list of them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

    from pvectl.cli.options import Bulk, Waiting
    from pvectl.guest.outcome import Outcome
    from pvectl.guest.run import Step
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.selector import Selector


def require(sel: Selector, verb: str, noun: str = "vm") -> None:
    from pvectl.cli.errors import USAGE, CliError

    if sel.empty:
        raise CliError(
            f"{noun} {verb}: name {noun.upper()}s, or select them (-l/--selector, --pool, --node, --name, --status), "
            "or pass --all",
            USAGE,
        )


def resolve(client: ProxmoxClient, sel: Selector, kinds: Sequence[str] = ("qemu",)) -> list[VmRef]:
    """The guests ``sel`` picks (4 not found, 2 for a name several guests share or a node the cluster lacks)."""
    from pvectl.cli.errors import NOT_FOUND, USAGE, CliError
    from pvectl.guest.select import SelectorError, VmAmbiguous, VmNotFound
    from pvectl.guest.select import resolve as resolve_in

    try:
        return resolve_in(client, sel, kinds)
    except VmNotFound as exc:
        raise CliError(str(exc), USAGE if isinstance(exc, VmAmbiguous) else NOT_FOUND) from None
    except SelectorError as exc:
        raise CliError(str(exc), USAGE) from None


def terminal() -> bool:
    return sys.stdin.isatty()


def confirm(question: str, refused: str) -> None:
    """Ask ``question [y/N]`` on a terminal; without one, refuse (exit 2) and say to pass --yes."""
    from pvectl.cli.errors import USAGE, CliError

    if not terminal():
        raise CliError(f"{refused} without confirmation; pass --yes", USAGE)
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)  # stdout stays for -o json
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise CliError("nothing done", USAGE)


def _noun(steps: Sequence[Step]) -> str:
    """VM or CT when every step is of that kind (a refusal counts what was selected), else guest."""
    from pvectl.guest.outcome import Outcome, word

    kinds = {step.guest if isinstance(step, Outcome) else step.ref.kind for step in steps}
    return word(kinds.pop()) if len(kinds) == 1 else "guest"


def run_steps(
    ctx: typer.Context,
    client: ProxmoxClient,
    steps: Sequence[Step],
    *,
    single: bool,
    bulk: Bulk,
    waiting: Waiting | None,
    seconds: float | None,
    verb: str,
    question: Callable[[int], str] | None = None,
) -> None:
    """Dry-run, confirm (``question`` names the count; None: no question), run, render; raises the exit code."""
    from pvectl.cli import render
    from pvectl.guest.run import run_many

    if bulk.dry_run:
        render.plan(ctx, steps, verb)
        return
    if question is not None and not bulk.yes:
        confirm(question(len(steps)), f"refusing to {verb} {render.count(len(steps), _noun(steps))}")
    wait = waiting is None or not waiting.no_wait
    if single and len(steps) == 1:
        outcome = watched(client, steps[0], wait=wait, seconds=seconds)
        if not wait and outcome.ok and outcome.upid:
            from pvectl.cli.runner import print_upid

            print_upid(ctx, outcome.upid)  # the bare UPID: `task wait "$(pvectl vm start X --no-wait)"`
            return
        task_log(ctx, client, outcome.upid if wait else None)
        render.one(ctx, outcome)
        return
    outcomes = run_many(client, steps, parallel=bulk.parallel, wait=wait, timeout=seconds, on_result=render.progress)
    render.many(ctx, outcomes)


def run_one(ctx: typer.Context, client: ProxmoxClient, step: Step, *, no_wait: bool, seconds: float | None) -> None:
    """One write on one guest through the runner; ``--no-wait`` prints the bare UPID."""
    from pvectl.cli import render

    outcome = watched(client, step, wait=not no_wait, seconds=seconds)
    if no_wait and outcome.ok and outcome.upid:
        from pvectl.cli.runner import print_upid

        print_upid(ctx, outcome.upid)
        return
    task_log(ctx, client, None if no_wait else outcome.upid)
    render.one(ctx, outcome)


def watched(client: ProxmoxClient, step: Step, *, wait: bool, seconds: float | None) -> Outcome:
    """One write through the runner, with the task spinner on a terminal's stderr while it is waited for."""
    from pvectl.cli.tasks import TaskSpinner
    from pvectl.guest.run import execute

    if not wait:
        return execute(client, step, wait=False, timeout=seconds)
    spinner = TaskSpinner(client)
    try:
        return execute(client, step, timeout=seconds, on_state=spinner.on_state, on_progress=spinner.progress)
    finally:
        spinner.stop()


def task_log(ctx: typer.Context, client: ProxmoxClient, upid: str | None) -> None:
    """``-v``: the finished task's log on stderr (server text, shown escaped); the log is decoration, so a
    failure to read it is silent."""
    if not upid or not ctx.obj.options.verbose:
        return
    import contextlib

    from pvectl.cli.safe_text import safe_text
    from pvectl.cli.taskview import LogTail
    from pvectl.sdk._core.upid import parse_upid

    with contextlib.suppress(Exception):
        for line in LogTail(client, parse_upid(upid).node, upid).poll():
            print(safe_text(line), file=sys.stderr)
