"""What a workflow that writes really did on the server: one object every front-end renders.

Kinds and their exit codes (the table in the README and in ``pvectl --help``):

==================  ====  ==========================================================================
``created``         0     the create workflow finished: everything planned exists
``done``            0     any other writing workflow (clone, migrate, set, apply, power) finished
``nothing-created`` 1     verified: the request never reached the server, or the server refused it
``task-failed``     1     the server ran the task and it failed (``log_tail`` says why)
``partial``         6     something exists (``done``), something is missing (``missing``); ``remedies``
                          are the exact commands that finish it
``unknown``         7     an answer was lost and the server could not tell what happened; ``checked``
                          says what was asked, ``remedies`` how to check
``interrupted``     130   Ctrl-C while waiting: the task goes on on the server (``upid``)
==================  ====  ==========================================================================

A bulk action (``vm stop -l tag=lab``: one outcome per VM, pvectl.vm.bulk) exits 0 when every VM's outcome is ok,
130 after Ctrl-C, and ``SOME_FAILED`` (8) otherwise; the per-VM table says which VMs did not succeed and why.

A ``--vmid`` taken meanwhile is ``nothing-created`` (1): the request was sent and refused (2 means nothing was
sent). ``Outcome.code`` can override the kind's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pvectl.vm.plan import Plan

OutcomeKind = Literal["created", "done", "nothing-created", "task-failed", "partial", "unknown", "interrupted"]

SOME_FAILED = 8  # a bulk action where at least one VM did not succeed (see the module doc)

EXIT_CODES: dict[str, int] = {
    "created": 0,
    "done": 0,
    "nothing-created": 1,
    "task-failed": 1,
    "partial": 6,
    "unknown": 7,
    "interrupted": 130,
}

# Follow-up steps of vm create: what each is called, and the command that does it by hand.
WHAT = {
    "create": "VM",
    "serial": "serial console",
    "cipassword": "cloud-init password",
    "cloudinit": "cloud-init image",
    "ha": "HA resource",
    "start": "VM start",
}
REMEDIES = {
    "serial": "pvectl vm serial-console enable {vmid}",
    "cipassword": 'pvectl api set /nodes/{node}/qemu/{vmid}/config --cipassword "$PASSWORD"',
    "cloudinit": "pvectl api set /nodes/{node}/qemu/{vmid}/cloudinit",
    "ha": "pvectl api cluster ha resources create --sid vm:{vmid} --state stopped",
    "start": "pvectl vm start {vmid}",
}


def remedy(step: str, vmid: int | None, node: str | None = None) -> str:
    return REMEDIES[step].format(vmid=vmid, node=node or "NODE")


def follow(upid: str) -> str:
    """The command that waits for a task (UPIDs print whole: they are not secret)."""
    return f"pvectl task wait '{upid}'"


@dataclass
class Outcome:
    """The truth about one workflow run; ``message`` is its first line, the rest is in the fields."""

    kind: OutcomeKind
    vmid: int | None
    node: str | None
    message: str
    upid: str | None = None
    done: list[str] = field(default_factory=list)  # steps that provably happened
    missing: list[str] = field(default_factory=list)  # what is left, in WHAT's words
    remedies: list[str] = field(default_factory=list)  # commands that finish or check it
    checked: list[str] = field(default_factory=list)  # what was asked after an ambiguous answer
    errors: dict[str, str] = field(default_factory=dict)  # PVE's per-field errors
    log_tail: list[str] = field(default_factory=list)
    plan: Plan | None = None
    code: int | None = None  # overrides EXIT_CODES[kind] (see the module doc)

    @property
    def ok(self) -> bool:
        return self.kind in ("created", "done")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.kind] if self.code is None else self.code

    def to_json(self) -> dict[str, Any]:
        """The machine-readable form (``-o json``); stable keys, whatever the kind."""
        return {
            "outcome": self.kind,
            "exit_code": self.exit_code,
            "vmid": self.vmid,
            "node": self.node,
            "upid": self.upid,
            "message": self.message,
            "done": list(self.done),
            "missing": list(self.missing),
            "remedies": list(self.remedies),
            "checked": list(self.checked),
            "errors": dict(self.errors),
            "log_tail": list(self.log_tail),
        }
