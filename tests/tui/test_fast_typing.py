"""Keys that arrive in one burst (a fast typist, a paste, tmux send-keys): Ctrl-N and Ctrl-D act before the typed
text has reached the wizard; what was typed must still stay as typed (issue 29 item 3)."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input

from pvectl.tui.widgets.field import FieldRow
from pvectl.vm.config import Network, VmConfig
from tests.tui.conftest import make_app, settle, until
from tests.tui.helpers import answer, app_of, focus, row, row_errors
from tests.vm.conftest import SimCli

SIZE = (80, 24)


def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Queue every key at once, as a terminal delivers a burst: no key waits for the one before to be handled."""
    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(pilot.app)
        driver.send_message(event)


def shown(pilot: Pilot[Any], key: str) -> str | None:
    rows = [r for r in pilot.app.screen.query(FieldRow) if r.key == key]
    return rows[0].control.value if rows and isinstance(rows[0].control, Input) else None


async def idle(pilot: Pilot[Any]) -> None:
    """Until every widget of the screen has handled its messages."""
    for _ in range(250):
        await pilot.pause(0.01)
        if all(w._message_queue.empty() for w in [pilot.app, pilot.app.screen, *pilot.app.screen.walk_children()]):
            break
    await settle(pilot)


async def test_a_size_typed_right_before_ctrl_n_stays_as_typed(cli: SimCli) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("disks")
        await settle(pilot)
        await focus(pilot, row(pilot, "disks[0].size_gib").control)
        await pilot.press("ctrl+u")  # a binding of the field: Textual runs it only after the key went round the app
        burst(pilot, "1", ".", "5", "ctrl+n")
        await until(pilot, lambda: len(app.wizard.config.disks) == 2)
        await idle(pilot)
        assert shown(pilot, "disks[0].size_gib") == "1.5"
        assert app.wizard.typed.get("disks[0].size_gib") == "1.5"  # the wizard holds what the screen shows
        assert "disks[0].size_gib" in row_errors(pilot)
        assert app.screen.query_one("#next", Button).disabled


async def test_a_valid_size_typed_right_before_ctrl_n_is_the_size_sent(cli: SimCli) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("disks")
        await settle(pilot)
        await focus(pilot, row(pilot, "disks[0].size_gib").control)
        await pilot.press("ctrl+u")
        burst(pilot, "6", "4", "ctrl+n")
        await until(pilot, lambda: len(app.wizard.config.disks) == 2)
        await idle(pilot)
        assert shown(pilot, "disks[0].size_gib") == "64"
        assert app.wizard.config.disks[0].size_gib == 64  # not 6 (the first key only), nor 32


async def test_a_vlan_typed_right_before_ctrl_n_stays_as_typed(cli: SimCli) -> None:
    app = make_app(cli.sim, VmConfig(more_nics=[Network(bridge="vmbr9")]), dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("network")
        await settle(pilot)
        await focus(pilot, row(pilot, "more_nics[0].vlan").control)
        burst(pilot, "4", "x", "ctrl+n")
        await until(pilot, lambda: len(app.wizard.config.more_nics) == 2)
        await idle(pilot)
        assert shown(pilot, "more_nics[0].vlan") == "4x"
        assert "more_nics[0].vlan" in row_errors(pilot)
        assert app.screen.query_one("#next", Button).disabled


async def test_removing_a_nic_keeps_what_was_typed_in_the_others(cli: SimCli) -> None:
    app = make_app(cli.sim, VmConfig(more_nics=[Network(bridge="vmbr9"), Network(bridge="vmbr9")]), dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("network")
        await settle(pilot)
        await answer(pilot, "more_nics[1].vlan", "9x")  # NIC 3 (net2)
        assert "more_nics[1].vlan" in row_errors(pilot)
        await focus(pilot, row(pilot, "more_nics[0].bridge").control)
        await pilot.press("ctrl+d")  # NIC 2 goes: NIC 3 moves up, with its text and its problem
        await until(pilot, lambda: len(app.wizard.config.more_nics) == 1)
        await idle(pilot)
        assert shown(pilot, "more_nics[0].vlan") == "9x"
        assert "more_nics[0].vlan" in row_errors(pilot)
        assert app.screen.query_one("#next", Button).disabled
