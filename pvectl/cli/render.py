"""Outcomes, plans and per-guest tables on the terminal: everything goes through ``output.show``, so ``-o
json|yaml``, ``--query``, ``--columns`` and ``--sort-by`` apply to every write, one guest or many.

Text form: an ok outcome's line on stdout; a failure's lines on stderr (``error: …``) with its exit code.
JSON/YAML: the outcome object (a list of them for a bulk run) on stdout, whatever the kind.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    from pvectl.cli.errors import CliError
    from pvectl.guest.outcome import Outcome
    from pvectl.guest.run import Step
    from pvectl.vm.submit import Event

OUTCOME_COLUMNS = ("vmid", "name", "node", "outcome", "message")
PLAN_COLUMNS = ("vmid", "name", "node", "status", "request")
# What the remedy lines are, by outcome kind.
REMEDY_LABEL = {"partial": "finish with", "unknown": "check with", "interrupted": "follow and finish with"}


def data_of(outcome: Outcome) -> dict[str, Any]:
    """The outcome's object, secrets redacted (a message may quote a refused parameter)."""
    from pvectl.sdk._core.redact import redact

    def clean(value: Any) -> Any:  # each string on its own: redacting JSON text could break its quoting
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    data: dict[str, Any] = clean(outcome.to_json())
    return data


def lines_of(outcome: Outcome) -> list[str]:
    """The report as people read it; the first line says what happened."""
    lines = [outcome.message]
    lines += [f"  {key}: {' '.join(message.split())}" for key, message in sorted(outcome.errors.items())]
    if outcome.upid and not outcome.ok and outcome.upid not in outcome.message:  # -o json always has it
        lines.append(f"  task: {outcome.upid}")
    if outcome.missing:
        lines.append(f"  missing: {', '.join(outcome.missing)}")
    lines += [f"  checked: {line}" for line in outcome.checked]
    lines += [f"  hint: {hint}" for hint in outcome.hints]
    label = REMEDY_LABEL.get(outcome.kind, "finish with")
    lines += [f"  {label}: {remedy}" for remedy in outcome.remedies]
    if outcome.log_tail:
        lines.append("  task log (last lines):")
        lines += [f"    {line}" for line in outcome.log_tail]
    return lines


def printed(ctx: typer.Context, outcome: Outcome) -> CliError | None:
    """Print what goes to stdout; the CliError (message, detail lines, exit code) to raise unless ok."""
    from pvectl.cli.errors import CliError
    from pvectl.cli.output import show

    lines = lines_of(outcome)
    show(ctx, data_of(outcome), human=lines[0] if outcome.ok else "", piped="text")
    if outcome.ok:
        return None
    return CliError(lines[0], outcome.exit_code, lines[1:])


def one(ctx: typer.Context, outcome: Outcome) -> None:
    """Print one outcome; raise its exit code unless it is ok."""
    error = printed(ctx, outcome)
    if error is not None:
        raise error


def progress(outcome: Outcome) -> None:
    """One line per guest on stderr as a bulk run goes (stdout stays for the table or -o json)."""
    from pvectl.cli.safe_text import clipped, safe_cell

    mark = "ok" if outcome.ok else "!!"
    print(clipped(f"[{mark}] {safe_cell(outcome.message)}"), file=sys.stderr, flush=True)  # names are server text


def many(ctx: typer.Context, outcomes: Sequence[Outcome], *, single: bool = False) -> None:
    """The per-guest table (``-o json``: a list of outcome objects); raises the run's exit code unless all ok:
    130 after Ctrl-C (done / partly done / still running with UPIDs / not started), 8 when some did not succeed.
    ``single``: one guest named on its own: its own outcome's code and lines (the table stays a list)."""
    from pvectl.cli.errors import CliError
    from pvectl.cli.output import show
    from pvectl.guest.outcome import bulk_exit_code, word

    show(ctx, [data_of(o) for o in outcomes], columns=OUTCOME_COLUMNS)
    if single and len(outcomes) == 1 and not outcomes[0].ok:
        lines = lines_of(outcomes[0])
        raise CliError(lines[0], outcomes[0].exit_code, lines[1:])
    code = bulk_exit_code(outcomes)
    if code == 0:
        return
    failed = [o for o in outcomes if not o.ok]
    if any(o.kind == "interrupted" for o in outcomes):
        stopped = [o for o in outcomes if o.kind == "interrupted"]
        partly = [o for o in stopped if o.done]  # e.g. a snapshot created, its retention cut short
        running = [o for o in stopped if o.upid]
        waiting = [o for o in stopped if not o.upid and not o.done]
        done = [o for o in outcomes if o.ok]
        details = [f"done: {_names(done)}"] if done else []
        details += [f"partly done: {o.message}" + (f"; still running: {o.upid}" if o.upid else "") for o in partly]
        details += [
            f"still running: {word(o.guest)} {o.vmid} ({o.name or 'no name'}): {o.upid}" for o in running if not o.done
        ]
        details += [f"not started: {_names(waiting)}"] if waiting else []
        details += [f"unknown: {o.message}" for o in outcomes if o.kind == "unknown"]
        some = f"{len(partly)} partly done, " if partly else ""
        raise CliError(
            f"interrupted: {len(done)} done, {some}{len(running)} still running on the server, "
            f"{len(waiting)} not started",
            code,
            details,
        )
    noun = _noun({o.guest for o in outcomes})
    raise CliError(f"{len(failed)} of {count(len(outcomes), noun)} did not succeed: {_names(failed)}", code)


def _noun(kinds: set[str]) -> str:
    """VM, CT or guest: what a list of guests of these kinds is called."""
    return "VM" if kinds <= {"qemu"} else ("CT" if kinds == {"lxc"} else "guest")


def _names(outcomes: Sequence[Outcome]) -> str:
    return ", ".join(f"{o.vmid} ({o.name or 'no name'})" for o in outcomes)


def count(n: int, noun: str = "guest") -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def plan(ctx: typer.Context, steps: Sequence[Step], verb: str, request: Callable[[Step], str] | None = None) -> None:
    """``--dry-run``: each guest and the request that would be sent (or why none is)."""
    from pvectl.cli.output import show
    from pvectl.guest.outcome import Outcome

    rows = []
    for step in steps:
        if isinstance(step, Outcome):
            rows.append(
                {"vmid": step.vmid, "name": step.name or "", "node": step.node, "status": step.kind,
                 "request": f"none: {step.message.partition(': ')[2]}"}
            )  # fmt: skip
            continue
        ref = step.ref
        shown = request(step) if request is not None else getattr(step, "request", step.action)
        rows.append({"vmid": ref.vmid, "name": ref.name, "node": ref.node, "status": ref.status, "request": shown})
    noun = _noun({getattr(getattr(s, "ref", None), "kind", getattr(s, "guest", "qemu")) for s in steps})
    human = "\n".join(
        [f"would {verb} {count(len(steps), noun)}:"]
        + [f"  {r['vmid']} {r['name']} on {r['node']}: {r['request']}" for r in rows]
    )
    show(ctx, rows, columns=PLAN_COLUMNS, human=human)


class Progress:
    """One line per step change on stderr (quiet when stderr is not a terminal unless verbose)."""

    def __init__(self, verbose: bool = False) -> None:
        self.enabled = verbose or sys.stderr.isatty()
        self._last: tuple[str, str] | None = None

    def __call__(self, event: Event) -> None:
        if not self.enabled or (event.state == "running" and self._last == (event.step, "running")):
            return
        self._last = (event.step, event.state)
        mark = {"pending": "..", "running": "->", "done": "ok", "failed": "!!"}[event.state]
        print(f"[{mark}] {event.step}: {event.detail}".rstrip(": "), file=sys.stderr)
