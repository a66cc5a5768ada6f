"""The command side shared by ``vm snapshot`` and ``ct snapshot`` create|delete|rollback: the checks before
anything is sent, the matched guests, the question, the run on the write runner and the rendering. The workflow
(what is sent, how an answer is judged, the retention) is pvectl.guest.ops.snapshot."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

    from pvectl.cli.options import Bulk, Targets, Waiting
    from pvectl.guest.run import Step
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.selector import Selector


def prepare(
    ctx: typer.Context, targets: Targets, bulk: Bulk, waiting: Waiting, kind: str, verb: str, *, keep: bool = False
) -> tuple[Selector, float]:
    """The selector and the wait in seconds; usage errors (exit 2, nothing sent) name the flag or NAME."""
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.vm.snapshots import invalid, reserved

    seconds = waiting.seconds(ctx)
    why = reserved(targets.name, kind, creating=verb == "create") or invalid(targets.name, stamped=keep)
    if why is not None:
        raise CliError(f"NAME: {why}", USAGE)
    sel = targets.selection.selector()
    bulk.check()
    return sel, seconds


def check_keep(keep: int | None, waiting: Waiting) -> None:
    from pvectl.cli.errors import USAGE, CliError

    if keep is None:
        return
    if keep < 1:
        raise CliError("--keep: must be at least 1", USAGE)
    if waiting.no_wait:  # old snapshots are deleted only after the new one exists
        raise CliError("--keep: not with --no-wait (the old snapshots go only once the new one exists)", USAGE)


def guests(client: ProxmoxClient, sel: Selector, kind: str, verb: str) -> list[VmRef]:
    """The matched guests of ``kind``; an empty selection says so on stderr (exit 0, nothing sent)."""
    from pvectl.cli.writes import require, resolve
    from pvectl.guest.outcome import noun, word

    require(sel, f"snapshot {verb}", noun=noun(kind))
    refs = resolve(client, sel, (kind,))
    if not refs:
        print(f"no {word(kind)} matches ({sel.describe()}); nothing to do", file=sys.stderr)
    return refs


def run(
    ctx: typer.Context,
    client: ProxmoxClient,
    steps: Sequence[Step],
    *,
    single: bool,
    listed: bool,
    bulk: Bulk,
    waiting: Waiting,
    seconds: float,
    verb: str,
    ask: tuple[str, str] | None = None,
) -> None:
    """--dry-run, the question (``ask``: question and refusal), the run, the outcomes; raises the exit code.
    ``listed``: a table (-o json: a list) even for one guest named on its own, which keeps its own exit code."""
    from pvectl.cli import render
    from pvectl.cli.writes import confirm, run_steps
    from pvectl.guest.run import run_many

    if bulk.dry_run:
        render.plan(ctx, steps, f"snapshot {verb}")
        return
    if ask is not None and not bulk.yes:
        confirm(*ask)
    if not listed:
        run_steps(ctx, client, steps, single=single, bulk=bulk, waiting=waiting, seconds=seconds,
                  verb=f"snapshot {verb}")  # fmt: skip
        return
    outcomes = run_many(client, steps, parallel=bulk.parallel, wait=not waiting.no_wait, timeout=seconds,
                        on_result=render.progress)  # fmt: skip
    render.many(ctx, outcomes, single=single)
