"""The same answers through the wizard and through flags give an identical VmConfig and plan."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button

from pvectl.cli.commands.vm.flags import apply_flags
from pvectl.tui.screens.confirm import ConfirmScreen
from pvectl.vm.config import VmConfig
from pvectl.vm.workflow import check_and_plan
from tests.tui.conftest import make_app, settle, sim_client, until
from tests.tui.helpers import answer, next_
from tests.vm.conftest import SimCli

FLAGS: dict[str, Any] = {
    "node": "pve2",
    "name": "web7",
    "tag": ["web", "nixos"],
    "iso": "none",
    "bios": "seabios",
    "disk": ["ceph-pool:32", "local-lvm:100"],
    "cores": 4,
    "memory": 4096,
    "balloon": False,
    "vlan": 20,
    "mtu": 9000,
}
ARGS = ["--node", "pve2", "--name", "web7", "--tag", "web", "--tag", "nixos", "--iso", "none", "--bios", "seabios"]
ARGS += ["--disk", "ceph-pool:32", "--disk", "local-lvm:100", "--cores", "4", "--memory", "4096", "--no-balloon"]
ARGS += ["--vlan", "20", "--mtu", "9000"]


async def test_tui_and_flags_give_the_same_config_and_plan(cli: SimCli) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await answer(pilot, "general.node", "pve2")
        await answer(pilot, "general.name", "web7")
        await answer(pilot, "general.tags", "web, nixos")
        await next_(pilot)
        await answer(pilot, "os.media", "none")
        await next_(pilot)
        await answer(pilot, "system.bios", "seabios")
        await next_(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await answer(pilot, "disks[1].storage", "local-lvm")
        await answer(pilot, "disks[1].size_gib", "100")
        await next_(pilot)
        await answer(pilot, "cpu.cores", "4")
        await next_(pilot)
        await answer(pilot, "memory.memory", "4096")
        await answer(pilot, "memory.ballooning", False)
        await next_(pilot)
        await answer(pilot, "network.vlan", "20")
        await answer(pilot, "network.mtu", "9000")
        await next_(pilot, 2)  # Network, then the optional Cloud-Init step (off)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        await until(pilot, lambda: not screen.query_one("#create", Button).disabled)
        review = screen.review
        assert review is not None and review.resolution is not None and review.plan is not None
        tui_config, tui_plan = review.resolution.config, review.plan
        await pilot.press("ctrl+s")
    assert app.plan_to_print == tui_plan

    client = sim_client(cli.sim)
    resolution, plan = check_and_plan(client, apply_flags(VmConfig(), FLAGS), strict=True)
    assert resolution.config == tui_config
    assert plan == tui_plan
    run = cli("vm", "create", "--dry-run", "-o", "json", *ARGS)
    assert run.code == 0, run.stderr
    assert {**run.json(), "vm": None} == {**tui_plan.as_dict(), "vm": None}  # the plan; "vm" is the VM file
