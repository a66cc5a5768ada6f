"""The TUI's guest-OS defaults (gui-wizard-reference.md §4.3) and its CPU step from the node's own lists."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Select, Static

from pvectl.cli.commands.vm.flags import apply_flags
from pvectl.tui.screens.confirm import ConfirmScreen
from pvectl.vm.config import VmConfig
from pvectl.vm.osdefaults import apply_os_presets
from pvectl.vm.workflow import check_and_plan
from tests.tui.conftest import make_app, settle, sim_client, until
from tests.tui.helpers import answer, app_of, row
from tests.vm.conftest import SimCli

WIN11_FLAGS: dict[str, Any] = {"node": "pve1", "ostype": "win11"}  # the presets fill in the rest, as in the TUI


def by_flags_config(values: dict[str, Any]) -> VmConfig:
    config = apply_flags(VmConfig(), values)
    apply_os_presets(config)
    return config


def notes(pilot: Pilot[Any]) -> str:
    return str(pilot.app.screen.query_one("#notes", Static).render())


async def go(pilot: Pilot[Any], step: str) -> None:
    app_of(pilot).go(step)
    await settle(pilot)


async def test_windows_11_pushes_its_defaults_and_the_plan_is_the_flags_one(cli: SimCli) -> None:
    _, by_flags = check_and_plan(sim_client(cli.sim), by_flags_config(WIN11_FLAGS), strict=True)
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "os")
        await answer(pilot, "os.ostype", "win11")
        assert "Windows 11/2022/2025 defaults: disk 1 bus ide, NIC model e1000, TPM on, memory 4096 MiB" in notes(pilot)
        # every later step shows what the configuration now holds, with a note saying why
        for step, key, shown in (
            ("system", "system.tpm", True),
            ("disks", "disks[0].bus", "ide"),
            ("memory", "memory.memory", "4096"),
            ("network", "network.model", "e1000"),
        ):
            await go(pilot, step)
            control: Any = row(pilot, key).control
            assert control.value == shown, key
            assert "Windows 11/2022/2025 default:" in notes(pilot), step
        await go(pilot, "confirm")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        await until(pilot, lambda: not screen.query_one("#create", Button).disabled)
        assert screen.review is not None and screen.review.plan == by_flags


async def test_a_value_set_before_is_kept_with_a_note_on_its_step(cli: SimCli) -> None:
    config = VmConfig()
    config.network.model = "vmxnet3"  # as --net-model vmxnet3 --tui pre-fills it
    app = make_app(cli.sim, config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "os")
        await answer(pilot, "os.ostype", "win10")
        await go(pilot, "network")
        assert row(pilot, "network.model").control.value == "vmxnet3"  # type: ignore[attr-defined]
        assert "kept your NIC model vmxnet3; Windows 10/2016/2019 default is e1000" in notes(pilot)
        await go(pilot, "os")
        await answer(pilot, "os.ostype", "l26")  # back: the pushed values return, the note of win10 goes
        await go(pilot, "disks")
        assert row(pilot, "disks[0].bus").control.value == "scsi"  # type: ignore[attr-defined]
        await go(pilot, "network")
        assert "Windows 10" not in notes(pilot)


async def test_the_cpu_type_lists_what_the_node_offers(cli: SimCli) -> None:
    app = make_app(cli.sim)
    app.advanced["cpu"] = True
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go(pilot, "cpu")
        type_row = row(pilot, "cpu.type")
        control = type_row.control
        assert isinstance(control, Select)
        offered = [value for _, value in control._options if isinstance(value, str)]
        assert offered[:4] == ["host", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4"]  # the common ones first
        assert "EPYC-Rome" in offered and "Skylake-Client" in offered  # the node's, not a built-in seven
        await answer(pilot, "cpu.type", "EPYC-Rome")
        assert app_of(pilot).wizard.config.cpu.type == "EPYC-Rome"
        await answer(pilot, "cpu.cpuunits", "20000")  # cgroup v2 (the simulated node): 1-10000
        assert "CPU units must be 1..10000 on pve1 (cgroup v2), got 20000" in row(pilot, "cpu.cpuunits").status_text
        assert "1-10000, default 100 (cgroup v2) on pve1" in row(pilot, "cpu.cpuunits").status_text
        await answer(pilot, "cpu.cpuunits", "")
        await answer(pilot, "cpu.flags", "+aes;-bogus")
        assert "CPU flag bogus not allowed for a VM on pve1" in row(pilot, "cpu.flags").status_text
        assert pilot.app.screen.query_one("#next", Button).disabled


async def test_windows_11_with_the_virtio_cd_is_the_gui_variant(cli: SimCli) -> None:
    """gui-wizard-reference.md §14 "Windows 11 + VirtIO ISO": two answers, the rest follows the guest OS."""
    from tests.prompts.test_gui_parity import VARIANTS, VIRTIO_ISO, same

    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "os")
        await answer(pilot, "os.ostype", "win11")
        await answer(pilot, "os.virtio_iso", VIRTIO_ISO)
        await go(pilot, "confirm")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        await until(pilot, lambda: not screen.query_one("#create", Button).disabled)
        assert screen.review is not None and screen.review.plan is not None
        params = screen.review.plan.requests[0].params
    expected = {k: v for k, v in VARIANTS["windows11-virtio-iso"][1].items() if k != "ide2"}  # ISO: as offered
    same(params, expected | {"scsi0": "ceph-pool:32,aio=io_uring,format=raw,iothread=1,ssd=1"})
    assert params["net0"].startswith("virtio,")
