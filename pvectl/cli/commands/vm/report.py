"""What the VM workflows print: the plan (--dry-run), progress on stderr, and the outcome (text, JSON, YAML)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    from pvectl.cli.errors import CliError
    from pvectl.vm.config import VmConfig
    from pvectl.vm.outcome import Outcome
    from pvectl.vm.plan import Plan
    from pvectl.vm.submit import Event

# What the remedy lines are, by outcome kind.
REMEDY_LABEL = {"partial": "finish with", "unknown": "check with", "interrupted": "follow and finish with"}


def plan_text(plan: Plan) -> str:
    """The plan as people read it: one block per request, parameters one per line (secrets redacted)."""
    from pvectl.sdk._core.redact import redact

    lines = [f"Plan for VM {plan.vmid} on {plan.node} (PVE {plan.server_version}):"]
    for i, request in enumerate(plan.requests, start=1):
        lines.append(f"  {i}. {request.method} {request.path}  # {request.purpose}")
        lines += [f"       {key}={value}" for key, value in request.shown_params.items()]
    lines += [f"  note: {note}" for note in plan.notes]
    return redact("\n".join(lines))


def plan_json(plan: Plan) -> str:
    from pvectl.sdk._core.redact import redact

    return redact(json.dumps(plan.as_dict(), indent=2))


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


def outcome_lines(outcome: Outcome) -> list[str]:
    """The final report; the first line says what exists."""
    lines = [outcome.message]
    lines += [f"  {field}: {' '.join(message.split())}" for field, message in sorted(outcome.errors.items())]
    if outcome.upid and not outcome.ok and outcome.upid not in outcome.message:  # -o json always has it
        lines.append(f"  task: {outcome.upid}")
    if outcome.missing:
        lines.append(f"  missing: {', '.join(outcome.missing)}")
    lines += [f"  checked: {line}" for line in outcome.checked]
    label = REMEDY_LABEL.get(outcome.kind, "finish with")
    lines += [f"  {label}: {remedy}" for remedy in outcome.remedies]
    if outcome.log_tail:
        lines.append("  task log (last lines):")
        lines += [f"    {line}" for line in outcome.log_tail]
    return lines


def print_plan(ctx: typer.Context, plan: Plan, config: VmConfig | None = None) -> None:
    """The --dry-run output: the plan as text for people, the plan's data in JSON (secrets redacted); with
    -o yaml the VM file (flat keys, `--from-file` reads it back) followed by the plan as comments."""
    from pvectl.cli.output import show

    show(ctx, plan_document(plan, config), human=plan_text(plan), piped="text")


def plan_document(plan: Plan, config: VmConfig | None = None) -> dict[str, Any]:
    """What ``--dry-run -o json|yaml`` prints: ``{vm: <the VM file>, node, vmid, server_version, requests: [...]}``
    (secrets redacted). ``vm create --from-file`` reads it back (its ``vm`` part)."""
    from pvectl.sdk._core.redact import redact

    document: dict[str, Any] = {}
    if config is not None:
        from pvectl.vm.vmfile import to_flat

        document["vm"] = to_flat(config)
    document.update(plan.as_dict())
    redacted: dict[str, Any] = json.loads(redact(json.dumps(document)))
    return redacted


def show_outcome(ctx: typer.Context, outcome: Outcome) -> None:
    """Print ``outcome``: its object on stdout with -o json/yaml, the report lines otherwise (stderr unless ok).

    Raises CliError with the outcome's exit code unless it is ok.
    """
    error = outcome_printed(ctx, outcome)
    if error is not None:
        raise error


def outcome_printed(ctx: typer.Context, outcome: Outcome) -> CliError | None:
    """Print what goes to stdout; the CliError (message, detail lines, exit code) to raise unless ok."""
    from pvectl.cli.errors import CliError
    from pvectl.cli.runner import output_format
    from pvectl.sdk._core.redact import redact

    fmt = output_format(ctx)
    if fmt in ("json", "yaml"):
        data = outcome.to_json()
        if fmt == "json":
            print(redact(json.dumps(data, indent=2)))
        else:
            import yaml

            print(redact(yaml.safe_dump(data, sort_keys=False)).rstrip())
    lines = outcome_lines(outcome)
    if outcome.ok:
        if fmt not in ("json", "yaml"):
            print(lines[0])
        return None
    return CliError(lines[0], outcome.exit_code, lines[1:])
