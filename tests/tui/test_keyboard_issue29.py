"""Keyboard-driven defects of issue 29, each driven through Textual's Pilot against the simulator."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from pvectl.tui.screens.quit import QuitScreen, SubmittingQuitScreen
from pvectl.tui.widgets.field import FieldRow
from pvectl.vm.config import Disk, VmConfig
from tests.tui.conftest import make_app, settle, sim_client, until
from tests.tui.helpers import answer, app_of, focus, row, row_errors
from tests.vm.conftest import SimCli

SIZE = (80, 24)


async def test_every_cloud_init_field_can_be_focused(cli: SimCli) -> None:
    """Help text with brackets (``ip=IP/CIDR[,gw=IP]``) is shown as it is, never read as markup."""
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("cloudinit")
        await settle(pilot)
        await answer(pilot, "cloudinit.enabled", True)
        rows = list(app.screen.query(FieldRow))
        assert len(rows) > 5
        for field in rows:
            await focus(pilot, field.control)
            help_line = app.screen.query_one("#help", Static)
            await until(pilot, lambda f=field, h=help_line: str(h.render()) == f.spec.help, seconds=5)  # type: ignore[misc]
        ipconfig = next(r for r in rows if r.key == "cloudinit.ipconfig")
        assert "[" in ipconfig.spec.help
        keys = next(r for r in rows if r.key == "cloudinit.ssh_keys")
        assert "Files of OpenSSH public keys, space-separated" in keys.spec.help  # what the field takes, as -i says
        for _ in range(len(rows) + 3):  # Tab and Shift-Tab through the whole step, the buttons included
            await pilot.press("tab")
        for _ in range(len(rows) + 3):
            await pilot.press("shift+tab")
        assert app.is_running


async def palette_quit(pilot: Pilot[Any]) -> None:
    """Textual's command palette: Ctrl-P, type "quit", Enter; each step waits for the screen to get there."""
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*"quit")
    palette = pilot.app.screen

    def one_hit_quit() -> bool:  # the search runs in a worker: its hits land a moment after the keys
        hits = palette.query_one(CommandList)
        return hits.option_count == 1 and hits.highlighted == 0 and "Quit" in str(hits.get_option_at_index(0).prompt)

    await until(pilot, one_hit_quit)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, (QuitScreen, SubmittingQuitScreen)))


@pytest.mark.parametrize("step", ["general", "disks", "cloudinit", "confirm"])
async def test_palette_quit_on_a_step_asks_first(cli: SimCli, step: str) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if step != "general":
            app_of(pilot).go(step)
            await settle(pilot)
        await palette_quit(pilot)
        assert isinstance(app.screen, QuitScreen), app.screen
        assert app.is_running
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running and app_of(pilot).step == step
        await palette_quit(pilot)
        await pilot.press("y")
        await settle(pilot)
    assert app.return_value == 130


async def test_palette_quit_during_submission_offers_detach_or_wait(cli: SimCli) -> None:
    gate = threading.Event()

    def slow_create(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/qemu"):
            gate.wait(10)  # the create request is in flight

    app = make_app(cli.sim, hook=slow_create)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.session.submitted)
        await palette_quit(pilot)
        assert isinstance(app.screen, SubmittingQuitScreen), app.screen
        await pilot.press("w")  # wait: the outcome shows when the requests end
        gate.set()
        await until(pilot, lambda: app_of(pilot).outcome is not None)
        await settle(pilot)
        assert app.is_running
    assert app.outcome is not None and app.outcome.kind == "created"


@pytest.mark.parametrize("text", ["1.5", "64G", "40x"])
async def test_invalid_size_survives_ctrl_n(cli: SimCli, text: str) -> None:
    """Text that is no whole number stays as typed, marked, and blocks Next; adding a disk changes nothing."""
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("disks")
        await settle(pilot)
        size = row(pilot, "disks[0].size_gib").control
        await focus(pilot, size)
        await pilot.press("ctrl+u", *text)
        # The keystrokes reach the wizard through two message hops: on a loaded machine, wait for the answer to land
        # before adding a disk (Ctrl-N pressed first would rebuild the step from the old value).
        await until(pilot, lambda: "disks[0].size_gib" in row_errors(pilot))
        await pilot.press("ctrl+n")
        await until(pilot, lambda: len(app.wizard.config.disks) == 2 and typed_size(pilot) is not None)
        assert typed_size(pilot) == text
        assert "disks[0].size_gib" in row_errors(pilot)
        assert app.screen.query_one("#next", Button).disabled
        await pilot.press("ctrl+d")  # remove the new disk (focused): the typed text still stays
        await until(pilot, lambda: len(app.wizard.config.disks) == 1 and typed_size(pilot) is not None)
        assert typed_size(pilot) == text
        assert "disks[0].size_gib" in row_errors(pilot)


def typed_size(pilot: Pilot[Any]) -> str | None:
    """The first disk's size as its row shows it, once the rebuilt step is mounted."""
    rows = [r for r in pilot.app.screen.query(FieldRow) if r.key == "disks[0].size_gib"]
    return rows[0].control.value if rows and isinstance(rows[0].control, Input) else None


async def test_a_device_clash_marks_both_disks_and_enter_focuses_one(cli: SimCli) -> None:
    config = VmConfig(disks=[Disk(index=0), Disk(index=0)])
    app = make_app(cli.sim, config, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("disks")
        await settle(pilot)
        errors = row_errors(pilot)
        assert "Disk 2" in errors["disks[0].index"] and "Disk 1" in errors["disks[1].index"]
        await focus(pilot, app.screen.query_one("#next", Button))
        await pilot.press("enter")
        await settle(pilot)
        focused = app.screen.focused
        assert focused is row(pilot, "disks[0].index").control  # the first marked field, shown and focused
        assert focused is not None and focused.region.height > 0  # on screen
        assert "Fix the marked field first: Disk 1 Device number" in str(app.screen.query_one("#notes").render())
        app_of(pilot).go("confirm")
        await until(pilot, lambda: getattr(app.screen, "review", None) is not None)
        await settle(pilot)
        listed = str(app.screen.query_one("#notes-list", Static).render())
        assert "Disk 1 Device number: scsi0 is used by Disk 2 too" in listed and "disks[" not in listed


async def test_the_submitting_quit_question_sits_below_the_progress(cli: SimCli) -> None:
    gate = threading.Event()

    def slow_create(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/qemu"):
            gate.wait(10)

    app = make_app(cli.sim, hook=slow_create)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.session.submitted)
        submit = app.screen
        lines = list(submit.query(".request"))
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.screen.query_one("#quit-box").region.height > 0)  # asked and laid out
        box = app.screen.query_one("#quit-box")
        assert all(box.region.y > line.region.bottom for line in lines)  # no request line is covered
        await pilot.press("w")
        gate.set()
        await until(pilot, lambda: app_of(pilot).outcome is not None)


async def test_a_vm_id_taken_meanwhile_is_marked_in_wizard_words(cli: SimCli) -> None:
    stolen: list[int] = []

    def steal(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/qemu") and not stolen:
            stolen.append(555)  # another client takes the id between Confirm and the create request
            sim_client(cli.sim).request("POST", "/nodes/pve1/qemu", {"vmid": 555, "name": "other"})

    app = make_app(cli.sim, VmConfig(general={"vmid": 555}), hook=steal)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app_of(pilot).outcome is not None)
        await settle(pilot)
        outcome = app.outcome
        assert outcome is not None and outcome.kind == "nothing-created"
        assert outcome.exit_code == 1  # the request was sent (2 would say nothing was)
        shown = str(app.screen.query_one("#outcome", Static).render())
        assert "choose another VM ID in General" in shown and "--vmid" not in shown
        app_of(pilot).go("general")
        await settle(pilot)
        assert "general.vmid" in row_errors(pilot)
        assert "taken meanwhile" in str(app.screen.query_one("#notes", Static).render())
        app_of(pilot).go("confirm")
        await until(pilot, lambda: getattr(app.screen, "review", None) is not None)
        await settle(pilot)
        assert app.screen.query_one("#create", Button).disabled  # not "Ready" again for the same id


async def test_the_virtio_driver_iso_is_offered_and_checked(cli: SimCli) -> None:
    from pvectl.tui.widgets.choice import Choice

    config = VmConfig(os={"ostype": "win11", "virtio_iso": "local:iso/missing.iso"})
    app = make_app(cli.sim, config, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("os")
        await settle(pilot)
        control = row(pilot, "os.virtio_iso").control
        assert isinstance(control, Choice)
        offered = {value for _, value in control._options}
        assert "local:iso/missing.iso" in offered  # kept as given, not replaced
        volumes = [v for v in offered if isinstance(v, str) and v.endswith(".iso") and "missing" not in v]
        assert volumes  # every ISO storage's images
        app_of(pilot).go("confirm")
        await until(pilot, lambda: getattr(app.screen, "review", None) is not None)
        await settle(pilot)
        listed = str(app.screen.query_one("#notes-list", Static).render())
        assert "VirtIO driver ISO: 'local:iso/missing.iso' does not exist" in listed
        assert app.screen.query_one("#create", Button).disabled
        app_of(pilot).go("os")
        await settle(pilot)
        await answer(pilot, "os.virtio_iso", volumes[0])
        await until(pilot, lambda: app.wizard.config.os.virtio_iso == volumes[0])  # the choice reached the wizard
        app_of(pilot).go("confirm")
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)


async def test_a_second_nic_is_added_checked_and_sent(cli: SimCli) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("network")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert len(app.wizard.config.more_nics) == 1
        assert row(pilot, "more_nics[0].bridge").control.has_focus
        await answer(pilot, "more_nics[0].model", "e1000")
        await answer(pilot, "more_nics[0].vlan", "5000")
        assert "more_nics[0].vlan" in row_errors(pilot)
        await answer(pilot, "more_nics[0].vlan", "20")
        assert not row_errors(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)
        review = getattr(app.screen, "review", None)
        assert review is not None and review.plan is not None
        params = review.plan.requests[0].params
        assert params["net1"] == "e1000,bridge=vmbr9,firewall=1,tag=20"
        assert "net1: Intel E1000 vmbr9 firewall tag=20" in str(app.screen.query_one("#summary", Static).render())


async def test_focus_order_and_revisits(cli: SimCli) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("cpu")
        await settle(pilot)
        await until(pilot, lambda: app.screen.focused is row(pilot, "cpu.sockets").control)  # its first field
        last = [r for r in app.screen.query(FieldRow) if r.display][-1]
        await focus(pilot, last.control)
        await pilot.press("tab")
        focused = app.screen.focused
        assert focused is not None and focused.id in ("next", None)  # the Advanced switch or Next: never Back
        while focused is not None and focused.id != "next":
            await pilot.press("tab")
            focused = app.screen.focused
            assert focused is None or focused.id != "back"
        await pilot.press("tab")
        assert app.screen.focused is not None and app.screen.focused.id == "back"
        await pilot.press("enter")  # Back to Memory... no: CPU's previous step is Disks
        await settle(pilot)
        app_of(pilot).go("cpu")
        await settle(pilot)
        await until(pilot, lambda: app.screen.focused is row(pilot, "cpu.sockets").control)  # revisited: the first


async def test_confirm_focuses_the_plan_with_a_mark(cli: SimCli) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: getattr(app.screen, "review", None) is not None)
        await settle(pilot)
        form = app.screen.query_one("#form")
        assert app.screen.focused is form
        assert form.styles.border_left[0] == "outer"
        await pilot.press("tab")
        assert app.screen.focused is not None and app.screen.focused.id == "create"


async def test_minimum_memory_clears_with_ctrl_u_after_it_followed_memory(cli: SimCli) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("memory")
        await settle(pilot)
        await focus(pilot, app.screen.query_one(".advanced-line Toggle"))
        await pilot.press("space")
        await settle(pilot)
        memory = row(pilot, "memory.memory").control
        await focus(pilot, memory)
        await pilot.press("end", "ctrl+u", *"4096")  # minimum memory follows: 4096 replaces 2048
        await settle(pilot)
        minimum = row(pilot, "memory.min_memory").control
        assert isinstance(minimum, Input) and minimum.value == "4096"
        await focus(pilot, minimum)
        await pilot.press("ctrl+u", *"1024")
        await settle(pilot)
        assert minimum.value == "1024" and app.wizard.config.memory.min_memory == 1024


async def test_advanced_switch_stays_in_view_and_no_toast_covers_the_buttons(cli: SimCli) -> None:
    app = make_app(cli.sim, VmConfig(disks=[Disk(), Disk()]), dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("disks")
        await settle(pilot)
        switch = app.screen.query_one(".advanced-line Toggle")
        await focus(pilot, switch)
        await pilot.press("space")
        await settle(pilot)
        form = app.screen.query_one("#form")
        await until(pilot, lambda: row(pilot, "disks[1].size_gib").region.height > 0)  # the rows are laid out
        # the step scrolls the switch back into view after that layout: never there, this fails
        await until(pilot, lambda: form.region.contains_region(switch.region))
        assert switch.has_focus
        assert form.region.contains_region(switch.region)  # still on screen after the rows appeared
        await answer(pilot, "disks[1].size_gib", "x")
        await focus(pilot, app.screen.query_one("#next", Button))
        await pilot.press("enter")
        await settle(pilot)
        assert not app._notifications  # the reply is in the notes line, not a toast over Back/Next
        assert "Fix the marked field first: Disk 2 Size (GiB)" in str(app.screen.query_one("#notes").render())
        assert app.screen.focused is row(pilot, "disks[1].size_gib").control


async def test_tui_prefilled_with_windows_11_takes_its_presets(cli: SimCli) -> None:
    app = make_app(cli.sim, VmConfig(os={"ostype": "win11"}), dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        config = app.wizard.config
        assert (config.system.tpm, config.memory.memory, config.network.model) == (True, 4096, "e1000")
        assert not config.serial_console and config.system.secure_boot
        assert not any("kept your" in n for n in app.wizard.notes.values())
        app_of(pilot).go("system")
        await settle(pilot)
        assert "Windows 11/2022/2025 default: TPM on" in str(app.screen.query_one("#notes").render())


async def test_an_existing_name_gets_a_note(cli: SimCli) -> None:
    created = cli("vm", "create", "--node", "pve1", "--name", "twin")
    assert created.code == 0, created.stderr
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await answer(pilot, "general.name", "twin")
        await settle(pilot)
        assert "is named 'twin' already" in str(app.screen.query_one("#notes").render())
        await answer(pilot, "general.name", "single")
        assert "already" not in str(app.screen.query_one("#notes").render())
