"""A disk bus switches off what it cannot do, as the GUI does: SSD emulation on virtio, IO thread on sata/ide."""

from __future__ import annotations

from pvectl.tui.widgets.toggle import Toggle
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import answer, app_of, row
from tests.vm.conftest import SimCli


async def test_bus_disables_ssd_and_io_thread(cli: SimCli) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app_of(pilot).go("disks")
        await settle(pilot)
        await answer(pilot, "disks[0].bus", "virtio")
        ssd = row(pilot, "disks[0].ssd").control
        assert isinstance(ssd, Toggle)
        assert ssd.disabled and not ssd.value
        assert app.wizard.config.disks[0].ssd is False
        assert app.wizard.problems("disks") == []  # no "SSD on virtio" error to clear by hand
        await answer(pilot, "disks[0].bus", "sata")
        iothread = row(pilot, "disks[0].iothread").control
        assert iothread.disabled and not app.wizard.config.disks[0].iothread
        assert not row(pilot, "disks[0].ssd").control.disabled
        assert app.wizard.preview().disks[0].device == "sata0"
