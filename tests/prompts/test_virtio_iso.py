"""`vm create -i` offers the VirtIO driver CD from the node's ISO volumes, as the GUI and the TUI do (issue 29
item 7): a list to pick from, not free text; a volume given beforehand stays offered as given."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.answers import Script
from tests.vm.conftest import SimCli

DRIVERS = "local:iso/virtio-win-0.1.266.iso"
WINDOWS = {"Guest OS": "win11", "Customise advanced OS options?": True}


def test_the_driver_cd_is_picked_from_every_iso_storage(cli: SimCli, scripted: Callable[..., Script]) -> None:
    script = scripted(**WINDOWS, **{"VirtIO driver ISO": DRIVERS})
    run = cli("vm", "create", "-i", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    asked = next(a for a in script.asked if a.label == "VirtIO driver ISO")
    assert asked.kind == "select" and asked.answer == DRIVERS
    params = run.json()["requests"][0]["params"]
    assert params["ide0"] == f"{DRIVERS},media=cdrom"
    assert params["net0"].startswith("virtio")  # the driver CD brings the paravirtualized devices, as in the GUI


def test_no_driver_cd_is_the_first_choice(cli: SimCli, scripted: Callable[..., Script]) -> None:
    script = scripted(**WINDOWS)
    run = cli("vm", "create", "-i", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    asked = next(a for a in script.asked if a.label == "VirtIO driver ISO")
    assert asked.kind == "select"
    params = run.json()["requests"][0]["params"]
    assert "cdrom" not in params.get("ide0", "")  # ide0 is the Windows disk here: no driver CD anywhere
    assert not any("virtio-win" in str(value) for value in params.values())
