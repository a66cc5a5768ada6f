"""`ct create -i`: the Create CT wizard's steps as questions (scripted in process, tests/support/answers.py):
answers plan what the same flags plan; the review asks a step again; Ctrl-C and Discard send nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.answers import CTRL_C, Script, again
from tests.vm.conftest import SimCli

Scripted = Callable[..., Script]


@pytest.mark.parametrize(
    ("answers", "flags"),
    [
        ({}, ("--node", "pve1")),
        ({"Node": "pve2", "Hostname": "web7", "Cores": "2", "Memory (MiB)": "1024", "Swap (MiB)": "0",
          "Root disk storage": "local-lvm", "Root disk size (GiB)": "16", "Start after creation": True},
         ("--node", "pve2", "--hostname", "web7", "--cores", "2", "--memory", "1024", "--swap", "0",
          "--disk", "local-lvm:16", "--start")),
        ({"IPv4": "10.0.0.5/24", "Gateway (IPv4)": "10.0.0.1", "DNS servers": "10.0.0.53", "Unprivileged container": False},
         ("--node", "pve1", "--net", "bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1", "--nameserver", "10.0.0.53",
          "--privileged")),
    ],
    ids=["defaults", "general-and-sizes", "network-and-privileged"],
)  # fmt: skip
def test_answers_plan_what_the_same_flags_plan(
    cli: SimCli, scripted: Scripted, answers: dict[str, object], flags: tuple[str, ...]
) -> None:
    by_flags = cli("-o", "json", "ct", "create", "--template", "debian-12", "--dry-run", *flags)
    assert by_flags.code == 0, by_flags.stderr
    scripted(**answers)
    by_answers = cli("-o", "json", "ct", "create", "-i", "--template", "debian-12", "--dry-run")
    assert by_answers.code == 0, by_answers.stderr
    assert by_answers.json()["requests"] == by_flags.json()["requests"]
    assert cli.writes() == []


def test_the_review_asks_a_step_again_and_a_refused_answer_is_asked_again(cli: SimCli, scripted: Scripted) -> None:
    script = scripted(**{
        "Memory (MiB)": again("8", "lots", "2048", "4096"),  # 8 and lots refused; 4096 after the review
        "Review: change a step, or go on": again("memory", "Show the plan"),
    })  # fmt: skip
    run = cli("-o", "json", "ct", "create", "-i", "--node", "pve1", "--template", "debian-12", "--dry-run")
    assert run.code == 0, run.stderr
    memory = [a for a in script.asked if a.label == "Memory (MiB)"]
    assert [a.answer for a in memory] == ["2048", "4096"] and memory[0].refused == [
        "at least 16",
        "a whole number, at least 16",
    ]
    assert (
        run.json()["requests"][0]["params"]["memory"] == 4096 or run.json()["requests"][0]["params"]["memory"] == "4096"
    )


def test_a_template_only_the_index_has_is_pulled(cli: SimCli, scripted: Scripted) -> None:
    scripted(Template="download debian-13-standard_13.1-2_amd64.tar.zst (Debian 13 Trixie (standard))")
    run = cli("-o", "json", "ct", "create", "-i", "--node", "pve1", "--dry-run")
    assert run.code == 0, run.stderr
    assert [r["path"] for r in run.json()["requests"]] == ["/nodes/pve1/aplinfo", "/nodes/pve1/lxc"]


def test_ctrl_c_and_discard_send_nothing(cli: SimCli, scripted: Scripted) -> None:
    scripted(Cores=CTRL_C)
    run = cli("ct", "create", "-i", "--template", "debian-12")
    assert run.code == 130 and "interrupted: nothing was sent" in run.stderr
    scripted(**{"Review: change a step, or go on": "Discard the answers and quit (nothing is sent)"})
    run = cli("ct", "create", "-i", "--template", "debian-12")
    assert run.code == 130 and "discarded: nothing was sent" in run.stderr
    assert cli.writes() == []


def test_created_after_yes(cli: SimCli, scripted: Scripted) -> None:
    scripted(Hostname="made1", **{"Create CT 103 on pve1?": True})
    run = cli("-o", "json", "ct", "create", "-i", "--node", "pve1", "--template", "debian-12")
    assert run.code == 0, run.stderr
    assert cli.writes() == ["POST /nodes/pve1/lxc"]
    assert [r["name"] for r in cli("-o", "json", "ct", "list").json() if r["vmid"] == 103] == ["made1"]
