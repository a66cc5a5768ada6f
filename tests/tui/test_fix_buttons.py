"""The buttons that send the user back to fix something land on the marked field (issue 29 item 9): "Fix in
General" after a VM id was taken meanwhile (item 6: General also proposes the next free id by number), and
Confirm's problem buttons."""

from __future__ import annotations

import httpx
from textual.widgets import Button, Static

from pvectl.vm.config import VmConfig
from tests.tui.conftest import make_app, settle, sim_client, until
from tests.tui.helpers import app_of, row
from tests.vm.conftest import SimCli


async def test_fix_in_general_focuses_the_id_and_proposes_the_next_free_one(cli: SimCli) -> None:
    stolen: list[int] = []

    def steal(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/qemu") and not stolen:
            stolen.append(555)  # another client takes the id between Confirm and the create request
            sim_client(cli.sim).request("POST", "/nodes/pve1/qemu", {"vmid": 555, "name": "other"})

    app = make_app(cli.sim, VmConfig(general={"vmid": 555}), hook=steal)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app_of(pilot).outcome is not None)
        await settle(pilot)
        fix = app.screen.query_one("#outcome-actions Button", Button)
        assert "General" in str(fix.label) and fix.has_focus
        await pilot.press("enter")
        await until(pilot, lambda: app_of(pilot).step == "general")
        await settle(pilot)
        nextid = int(sim_client(cli.sim).request("GET", "/cluster/nextid"))
        notes = app.screen.query_one("#notes", Static)
        await until(pilot, lambda: f"the next free id is {nextid}" in str(notes.render()))
        await until(pilot, lambda: app.screen.focused is row(pilot, "general.vmid").control)


async def test_a_confirm_problem_button_lands_on_the_marked_field(cli: SimCli) -> None:
    config = VmConfig(memory={"memory": 2048, "min_memory": 4096})  # the minimum above the memory: refused
    app = make_app(cli.sim, config, dry_run=True)
    app.advanced["memory"] = False  # the user turned Memory's Advanced off: the marked field is hidden there
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: bool(app.screen.query("#problems Button")))
        button = app.screen.query_one("#problems Button", Button)
        assert button.name == "memory"
        button.press()
        await until(pilot, lambda: app_of(pilot).step == "memory")
        await settle(pilot)
        await until(pilot, lambda: app.screen.focused is row(pilot, "memory.min_memory").control)
        assert row(pilot, "memory.min_memory").display  # shown again to be fixed
