"""The outcome model: one exit code per kind, a stable JSON form, and what each kind renders."""

from __future__ import annotations

import pytest

from pvectl.cli.commands.vm.report import outcome_lines
from pvectl.cli.errors import INTERRUPTED, PARTIAL, UNKNOWN
from pvectl.vm.outcome import EXIT_CODES, Outcome, follow

UPID = "UPID:pve1:0000A1B2:0001C3D4:6740AB12:qmcreate:106:root@pam!ci:"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("created", 0),
        ("done", 0),
        ("nothing-created", 1),
        ("task-failed", 1),
        ("partial", PARTIAL),
        ("unknown", UNKNOWN),
        ("interrupted", INTERRUPTED),
    ],
)
def test_one_exit_code_per_kind(kind: str, code: int) -> None:
    outcome = Outcome(kind, 106, "pve1", "m")  # type: ignore[arg-type]
    assert outcome.exit_code == code == EXIT_CODES[kind]
    assert outcome.ok == (code == 0)


def test_code_override_for_a_taken_vmid() -> None:
    assert Outcome("nothing-created", None, "pve1", "taken", code=2).exit_code == 2


def test_json_form_has_every_key() -> None:
    outcome = Outcome("unknown", 106, "pve1", "lost", upid=UPID, checked=["GET x: no VM"], remedies=[follow(UPID)])
    data = outcome.to_json()
    assert data["outcome"] == "unknown" and data["exit_code"] == 7 and data["upid"] == UPID
    assert set(data) == {
        "outcome", "exit_code", "guest", "action", "vmid", "name", "node", "upid", "message", "done", "missing",
        "remedies", "checked",
        "errors", "log_tail",
    }  # fmt: skip


def test_lines_name_the_upid_and_label_remedies_by_kind() -> None:
    outcome = Outcome(
        "interrupted",
        106,
        "pve1",
        "interrupted: VM 106 is being created",
        upid=UPID,
        missing=["serial console"],
        remedies=[follow(UPID), "pvectl vm serial-console enable 106"],
    )
    lines = outcome_lines(outcome)
    assert f"  task: {UPID}" in lines  # token ids are not secret: the UPID prints whole
    assert "  missing: serial console" in lines
    assert f"  follow and finish with: pvectl task wait '{UPID}'" in lines
