"""What you see is what is sent: after every move forward and back, each widget shows the configuration."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select

from pvectl.tui.screens.os import LATEST
from pvectl.tui.state import parse
from pvectl.tui.widgets.field import FieldRow
from pvectl.tui.widgets.toggle import Toggle
from pvectl.vm.config import Disk, Network, Os, VmConfig
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import app_of
from tests.vm.conftest import SimCli

STEPS = ("general", "os", "system", "disks", "cpu", "memory", "network")


def shown(row: FieldRow) -> Any:
    control = row.control
    if isinstance(control, Toggle):
        return control.value
    if isinstance(control, Select):
        value = control.value
        if value is Select.NULL:
            return None
        return None if (row.key == "os.iso" and value == LATEST) else value
    assert isinstance(control, Input)
    return parse(row.spec, control.value, optional=True)


def expected(pilot: Pilot[Any], key: str) -> Any:
    wizard = app_of(pilot).wizard
    if key == "memory.min_memory" and wizard.config.memory.min_memory is None:
        return wizard.config.effective_min_memory  # shown following memory
    value = wizard.get(key)
    if value is None and key.endswith(".discard"):
        return False  # unset discard sends nothing, as off does; a switch shows it off
    return value


def mismatches(pilot: Pilot[Any]) -> dict[str, tuple[Any, Any]]:
    out = {}
    for row in pilot.app.screen.query(FieldRow):
        if row.state == "loading":
            continue
        value, want = shown(row), expected(pilot, row.key)
        if value != want:
            out[row.key] = (value, want)
    return out


async def walk(pilot: Pilot[Any], back: int = len(STEPS) - 1) -> list[str]:
    """Every step forward with Enter, then ``back`` steps back with Esc; the mismatches seen on the way."""
    seen: list[str] = []
    await settle(pilot)
    moves = ["enter"] * (len(STEPS) - 1) + ["escape"] * back
    for key in ["", *moves]:
        if key:
            await pilot.press(key)
            await settle(pilot)
        seen += [f"{app_of(pilot).step}: {k} shows {v!r}, config {w!r}" for k, (v, w) in mismatches(pilot).items()]
    return seen


async def test_every_widget_shows_the_config_forward_and_back(cli: SimCli) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab", "x", "1")  # the reported sequence: a name, then on and back
        assert await walk(pilot) == []
        assert app.wizard.config.general.name == "x1"


async def test_values_replaced_by_a_note_are_shown(cli: SimCli) -> None:
    config = VmConfig(os=Os(iso_storage="nope"), disks=[Disk(storage="gone")], network=Network(bridge="vmbr77"))
    app = make_app(cli.sim, config)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await walk(pilot, back=3) == []
        assert app.wizard.config.os.iso_storage != "nope"
        assert app.wizard.config.disks[0].storage != "gone"
        assert app.wizard.config.network.bridge != "vmbr77"
        assert {"os.iso_storage", "disks[0].storage", "network.bridge"} <= set(app.wizard.notes)
