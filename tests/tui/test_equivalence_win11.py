"""Flags, ``-i`` and ``--tui`` give the same plan for a Windows 11 guest with two NICs (issue 29): the OS presets
apply in every front-end to what was not given, and a second NIC is made the same way in each."""

from __future__ import annotations

from prompt_toolkit.input import PipeInput
from textual.widgets import Button

from pvectl.tui.screens.confirm import ConfirmScreen
from tests.prompts.keys import ENTER, answers, nic, pick, typed
from tests.prompts.test_flow import prompts
from tests.tui.conftest import make_app, settle, until
from tests.tui.helpers import answer, app_of
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
    plan: dict[str, object] = run.json()
    return plan


async def test_tui_and_flags_give_the_same_windows_11_plan_with_two_nics(cli: SimCli) -> None:
    by_flags = flags_plan(cli)
    params = by_flags["requests"][0]["params"]  # type: ignore[index]
    assert params["ostype"] == "win11" and params["memory"] == "4096" and "tpmstate0" in params
    assert params["ide0"].startswith("ceph-pool:32") and params["net1"] == "e1000,bridge=vmbr9,firewall=1,tag=20"
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app_of(pilot).go("os")
        await settle(pilot)
        await answer(pilot, "os.ostype", "win11")
        app_of(pilot).go("network")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await answer(pilot, "more_nics[0].vlan", "20")
        app_of(pilot).go("confirm")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        await until(pilot, lambda: not screen.query_one("#create", Button).disabled)
        review = screen.review
        assert review is not None and review.plan is not None
        tui_plan = review.plan
    assert tui_plan.as_dict() == by_flags


def test_prompts_and_flags_give_the_same_windows_11_plan_with_two_nics(cli: SimCli, term: PipeInput) -> None:
    by_flags = flags_plan(cli)
    run = prompts(cli, term, KEYS, "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr[-2000:]
    assert run.json() == by_flags
