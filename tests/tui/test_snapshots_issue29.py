"""Snapshots at 80x24 for issue 29: the Cloud-Init step with its ipconfig field focused, two NICs, a long
Confirm value wrapped under itself (the question while requests run shows an elapsed time: a Pilot test
checks its place instead)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from pvectl.vm.config import Disk, VmConfig
from tests.tui.conftest import make_app, settle, until
from tests.tui.helpers import answer, app_of, focus, row
from tests.vm.conftest import SimCli

Snap = Callable[..., bool]
SIZE = (80, 24)


def test_cloud_init_ipconfig_focused(snap_compare: Snap, cli: SimCli) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app_of(pilot).go("cloudinit")
        await settle(pilot)
        await answer(pilot, "cloudinit.enabled", True)
        await focus(pilot, row(pilot, "cloudinit.ipconfig").control)
        await pilot.pause(0.2)

    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=run_before)


def test_network_with_a_second_nic(snap_compare: Snap, cli: SimCli) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app_of(pilot).go("network")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.pause(0.2)

    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=run_before)


def test_confirm_wraps_a_disk_with_limits(snap_compare: Snap, cli: SimCli) -> None:
    disk = Disk(mbps_rd=100, mbps_wr=80, iops_rd=500, iops_wr=400, cache="writeback", discard=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: getattr(pilot.app.screen, "review", None) is not None)
        await settle(pilot)
        await pilot.pause(0.2)

    app = make_app(cli.sim, VmConfig(disks=[disk]), dry_run=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
