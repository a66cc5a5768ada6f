"""What a write really did on the server: one object every front-end renders, and THE exit-code table.

Outcome kinds and their exit codes (the table in the README and in ``pvectl --help``):

=================== ==== ==============================================================================
``done``            0    the action happened (the task ended OK, or the server shows the target state)
``already``         0    the guest was in the target state already: nothing was sent
``skipped``         0    the plan left this guest out on purpose (``message`` says why); nothing was sent
``created``         0    a create (``vm create``, clone) finished: everything planned exists
``failed``          1    the server refused the request, or ran the task and it failed (``log_tail``)
``nothing-created`` 1    a create that provably did not happen (refused, or never reached the server)
``task-failed``     1    a create whose task ran and failed
``partial``         6    something happened (``done``), something is missing (``missing``); ``remedies``
                         are the exact commands that finish it
``unknown``         7    an answer was lost (or the wait ran out) and the server could not tell what
                         happened; ``checked`` says what was asked, ``remedies`` how to check
``interrupted``     130  Ctrl-C: the task goes on on the server (``upid``), or was never started
=================== ==== ==============================================================================

A bulk run (``vm stop -l tag=lab``: one outcome per guest) exits 0 when every guest's outcome is ok, 130 after
Ctrl-C, and ``SOME_FAILED`` (8) otherwise; the per-guest table says which did not succeed and why.

``Outcome.code`` overrides the kind's code where the kind alone would mislead (a write that never left: 5,
CONNECTION; one refused before sending by the schema check: 2, USAGE).

The module imports nothing heavy: the CLI's error handling reads the exit codes from here at startup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pvectl.vm.plan import Plan

# THE exit codes of pvectl (the README's "Exit codes" table); every other module imports them from here.
OK = 0
FAILURE = 1  # API error or task failure; nothing was created (verified)
USAGE = 2  # bad flags, client-side validation, malformed config: nothing was sent
AUTH = 3  # authentication
NOT_FOUND = 4
CONNECTION = 5  # TLS, pinning, connection problems: the server could not be reached
PARTIAL = 6  # partly done: what exists, what is missing, the commands that finish it
UNKNOWN = 7  # an answer was lost or a wait ran out; what was checked and how to check is printed
SOME_FAILED = 8  # a bulk run where some guests did not succeed
INTERRUPTED = 130  # Ctrl-C; a started task goes on on the server

EXIT_HELP = """Exit codes: 0 ok (also: already in the target state), 1 API or task failure (nothing created), 2 usage
or validation error (nothing sent), 3 authentication, 4 not found, 5 TLS/connection problem, 6 partly done (the
remedy is printed), 7 unknown (an answer was lost or a wait ran out; what was checked and how to check is
printed), 8 some guests of a bulk action failed (the per-guest table says which), 130 interrupted (a started task
goes on)."""

OutcomeKind = Literal[
    "done",
    "already",
    "skipped",
    "created",
    "failed",
    "nothing-created",
    "task-failed",
    "partial",
    "unknown",
    "interrupted",
]
GuestKind = Literal["qemu", "lxc"]

EXIT_CODES: dict[str, int] = {
    "done": OK,
    "already": OK,
    "skipped": OK,
    "created": OK,
    "failed": FAILURE,
    "nothing-created": FAILURE,
    "task-failed": FAILURE,
    "partial": PARTIAL,
    "unknown": UNKNOWN,
    "interrupted": INTERRUPTED,
}
OK_KINDS = frozenset(kind for kind, code in EXIT_CODES.items() if code == OK)

# The command noun of each guest kind: remedies name `pvectl vm ...` for QEMU and `pvectl ct ...` for LXC.
NOUN: dict[str, str] = {"qemu": "vm", "lxc": "ct"}
WORD: dict[str, str] = {"qemu": "VM", "lxc": "CT"}


def noun(kind: str) -> str:
    return NOUN.get(kind, "vm")


def word(kind: str) -> str:
    return WORD.get(kind, "VM")


def follow(upid: str) -> str:
    """The command that waits for a task (UPIDs print whole: they are not secret)."""
    return f"pvectl task wait '{upid}'"


def check(kind: str, vmid: int | None) -> str:
    """The command that shows a guest's state (what to run after an unknown outcome)."""
    return f"pvectl {noun(kind)} show {vmid}"


def label(kind: str, vmid: int | None, name: str | None = None) -> str:
    """``VM 101 (web1)`` / ``CT 200 (dns)``: how messages name a guest."""
    return f"{word(kind)} {vmid} ({name or 'no name'})"


@dataclass
class Outcome:
    """The truth about one write on one guest; ``message`` is its first line, the rest is in the fields."""

    kind: OutcomeKind
    vmid: int | None
    node: str | None
    message: str
    upid: str | None = None
    done: list[str] = field(default_factory=list)  # steps that provably happened
    missing: list[str] = field(default_factory=list)  # what is left
    remedies: list[str] = field(default_factory=list)  # commands that finish or check it
    checked: list[str] = field(default_factory=list)  # what was asked after an ambiguous answer
    hints: list[str] = field(default_factory=list)  # what to do about a refusal, in words (remedies are commands)
    errors: dict[str, str] = field(default_factory=dict)  # PVE's per-field errors
    log_tail: list[str] = field(default_factory=list)
    plan: Plan | None = None
    code: int | None = None  # overrides EXIT_CODES[kind] (see the module doc)
    guest: GuestKind = "qemu"
    action: str | None = None  # "start", "snapshot", ...: what was asked
    name: str | None = None  # the guest's name, when known

    @property
    def ok(self) -> bool:
        return self.kind in OK_KINDS

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.kind] if self.code is None else self.code

    def to_json(self) -> dict[str, Any]:
        """The machine-readable form (``-o json``); stable keys, whatever the kind."""
        return {
            "outcome": self.kind,
            "exit_code": self.exit_code,
            "guest": self.guest,
            "action": self.action,
            "vmid": self.vmid,
            "name": self.name,
            "node": self.node,
            "upid": self.upid,
            "message": self.message,
            "done": list(self.done),
            "missing": list(self.missing),
            "remedies": list(self.remedies),
            "checked": list(self.checked),
            "hints": list(self.hints),
            "errors": dict(self.errors),
            "log_tail": list(self.log_tail),
        }


def bulk_exit_code(outcomes: Sequence[Outcome]) -> int:
    """The exit code of a run over several guests: 130 after Ctrl-C, 0 when all ok, 8 otherwise."""
    if any(o.kind == "interrupted" for o in outcomes):
        return INTERRUPTED
    return OK if all(o.ok for o in outcomes) else SOME_FAILED
