"""`vm create -i` in process with scripted answers (tests/support/answers.py): the flows, not the keys (those
are the pipe-input tests beside this file, and the terminals the pty tests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.answers import CTRL_C, Script, again
from tests.vm.conftest import SimCli

Scripted = Callable[..., Script]


@pytest.mark.parametrize(
    ("answers", "flags"),
    [
        ({}, ()),
        ({"Name": "web5", "Cores": "4", "Memory (MiB)": "4096", "Start after creation": True},
         ("--name", "web5", "--cores", "4", "--memory", "4096", "--start")),
        ({"Add another disk?": again(True, False), "Storage": again("ceph-pool", "local-lvm"), "Size (GiB)": again("32", "100")},
         ("--disk", "ceph-pool:32", "--disk", "local-lvm:100")),
    ],
    ids=["defaults", "general", "second-disk"],
)  # fmt: skip
def test_answers_plan_what_the_same_flags_plan(
    cli: SimCli, scripted: Scripted, answers: dict[str, object], flags: tuple[str, ...]
) -> None:
    by_flags = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "json", *flags)
    assert by_flags.code == 0, by_flags.stderr
    scripted(**answers)
    by_answers = cli("vm", "create", "-i", "--dry-run", "-o", "json")
    assert by_answers.code == 0, by_answers.stderr
    # the plans (the document's vm part is the VM file: answered questions are given values there, defaults not)
    assert {**by_answers.json(), "vm": None} == {**by_flags.json(), "vm": None}
    assert cli.writes() == []


def test_a_refused_answer_is_asked_again(cli: SimCli, scripted: Scripted) -> None:
    script = scripted(**{"Memory (MiB)": again("lots", "4096")})
    run = cli("vm", "create", "-i", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    memory = next(a for a in script.asked if a.label == "Memory (MiB)")
    assert memory.refused and memory.answer == "4096"
    assert run.json()["requests"][0]["params"]["memory"] == "4096"


def test_ctrl_c_at_a_question_sends_nothing(cli: SimCli, scripted: Scripted) -> None:
    script = scripted(Name=CTRL_C)
    run = cli("vm", "create", "-i")
    assert run.code == 130, run.stderr
    assert script.labels()[-1] == "VM ID"  # the question before the name was the last one answered
    assert cli.writes() == []
