"""What the VM workflows print: the plan (--dry-run), progress on stderr, and the outcome (text, JSON, YAML)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pvectl.cli.render import Progress  # moved there: ct create uses it too

if TYPE_CHECKING:
    import typer

    from pvectl.cli.errors import CliError
    from pvectl.vm.config import VmConfig
    from pvectl.vm.outcome import Outcome
    from pvectl.vm.plan import Plan

__all__ = ["Progress", "outcome_lines", "outcome_printed", "plan_json", "plan_text", "print_plan", "show_outcome"]


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


def outcome_lines(outcome: Outcome) -> list[str]:
    """The final report; the first line says what exists."""
    from pvectl.cli.render import lines_of

    return lines_of(outcome)


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
    """Print what goes to stdout (through output.show: -o and --query apply); the CliError to raise unless ok."""
    from pvectl.cli.render import printed

    return printed(ctx, outcome)
