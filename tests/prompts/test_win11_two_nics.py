"""Flags and ``-i`` give the same plan for a Windows 11 guest with two NICs (issue 29): the OS presets apply in
every front-end to what was not given, and a second NIC is made the same way in each (TUI:
tests/tui/test_equivalence_win11.py)."""

from __future__ import annotations

from prompt_toolkit.input import PipeInput

from tests.prompts.keys import ENTER, answers, nic, pick, typed
from tests.prompts.test_flow import prompts
from tests.vm.conftest import SimCli

ARGS = ["--node", "pve1", "--ostype", "win11"]
ARGS += ["--net", "e1000,bridge=vmbr9,firewall=1", "--net", "e1000,bridge=vmbr9,firewall=1,tag=20"]

# -i: the General answers as they are, Windows 11 on the OS step (its advanced question: no), the System step
# with the TPM storage asked (TPM on) and its advanced question, an IDE disk (no IO thread question), then a
# second NIC with VLAN 20
KEYS = answers(upto="media") + ENTER * 3 + pick("Windows 11") + ENTER
KEYS += ENTER * 11  # machine, bios, EFI disk, EFI storage, Secure Boot, SCSI controller, agent, TPM, TPM storage,
KEYS += ENTER * 9  # serial console, advanced: no; disk bus, storage, size, format, SSD, backup, aio, advanced, add
KEYS += ENTER * 6  # sockets, cores, CPU type, advanced; memory, advanced
KEYS += ENTER * 5 + "y" + nic(vlan=typed("20"))  # network, bridge, model, firewall, advanced; a second NIC
KEYS += ENTER * 2  # Cloud-Init: no; review: show the plan


def flags_plan(cli: SimCli) -> dict[str, object]:
    run = cli("vm", "create", "--dry-run", "-o", "json", *ARGS)
    assert run.code == 0, run.stderr
    plan: dict[str, object] = {**run.json(), "vm": None}  # the plan; vm is the VM file (given values differ)
    return plan


def test_prompts_and_flags_give_the_same_windows_11_plan_with_two_nics(cli: SimCli, term: PipeInput) -> None:
    by_flags = flags_plan(cli)
    run = prompts(cli, term, KEYS, "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr[-2000:]
    assert {**run.json(), "vm": None} == by_flags


def test_prompts_prefilled_with_ostype_win11_take_the_presets_without_a_kept_note(cli: SimCli, term: PipeInput) -> None:
    """``-i --ostype win11``: the flag's OS presets the rest as in flags mode; no "kept your TPM off"."""
    by_flags = flags_plan(cli)
    keys = KEYS.replace(pick("Windows 11"), ENTER, 1)  # the OS question offers the flag's win11
    run = prompts(cli, term, keys, "--ostype", "win11", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr[-2000:]
    assert {**run.json(), "vm": None} == by_flags
    assert "kept your" not in run.stderr
    assert "note: Windows 11/2022/2025 defaults: disk 1 bus ide, NIC model e1000, TPM on, memory 4096 MiB" in run.stderr
