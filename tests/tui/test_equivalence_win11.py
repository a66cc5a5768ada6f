"""Flags and ``--tui`` give the same plan for a Windows 11 guest with two NICs (issue 29): the OS presets
apply in every front-end to what was not given, and a second NIC is made the same way in each (``-i``: tests/prompts/test_win11_two_nics.py)."""

from __future__ import annotations

from textual.widgets import Button

from pvectl.tui.screens.confirm import ConfirmScreen
from tests.prompts.test_win11_two_nics import flags_plan
from tests.tui.conftest import make_app, settle, until
from tests.tui.helpers import answer, app_of
from tests.vm.conftest import SimCli


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
    assert {**tui_plan.as_dict(), "vm": None} == {**by_flags, "vm": None}  # the plans; "vm" is the VM file
