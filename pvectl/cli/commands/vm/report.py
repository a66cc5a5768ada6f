"""What ``vm create`` prints: the plan (--dry-run), progress on stderr, and the outcome."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pvectl.vm.plan import Plan
    from pvectl.vm.submit import Event, Outcome


def plan_text(plan: Plan) -> str:
    """The plan as people read it: one block per request, parameters one per line (secrets redacted)."""
    from pvectl.sdk._core.redact import redact

    lines = [f"Plan for VM {plan.vmid} on {plan.node} (PVE {plan.server_version}):"]
    for i, request in enumerate(plan.requests, start=1):
        lines.append(f"  {i}. {request.method} {request.path}  # {request.purpose}")
        lines += [f"       {key}={value}" for key, value in request.params.items()]
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
    if outcome.missing:
        lines.append(f"  missing: {', '.join(outcome.missing)}")
        lines += [f"  finish with: {remedy}" for remedy in outcome.remedies]
    if outcome.log_tail:
        lines.append("  task log (last lines):")
        lines += [f"    {line}" for line in outcome.log_tail]
    return lines
