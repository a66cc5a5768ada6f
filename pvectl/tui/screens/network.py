"""Network: bridge, model, firewall, VLAN, MTU, rate limit, multiqueue, MAC -- or no network device; then more
NICs (net1, net2, ...), each with bridge, model, firewall and VLAN: Ctrl-N adds one, Ctrl-D removes the focused."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button

from pvectl.tui.screens.base import StepScreen
from pvectl.tui.widgets.field import FieldRow
from pvectl.vm.config import Network
from pvectl.vm.fields import FIELDS

# The fields a further NIC shows (its other settings are net0's defaults; the VM file or --net set them all).
NIC_FIELDS = [f for f in FIELDS if f.path in ("network.bridge", "network.model", "network.firewall", "network.vlan")]


class NicBox(Vertical):
    """The rows of one further NIC, titled netN."""

    def __init__(self, index: int, nic: Network, typed: dict[str, Any]) -> None:
        super().__init__(classes="disk nic", id=f"nic-{index}")
        self.index = index
        self.nic = nic
        self.typed = typed  # key -> text that did not parse: shown again as typed, never replaced
        self.border_title = f"NIC {index + 2}: net{index + 1}"

    def compose(self) -> ComposeResult:
        for spec in NIC_FIELDS:
            name = spec.path.split(".")[1]
            key = f"more_nics[{self.index}].{name}"
            yield FieldRow(replace(spec, advanced=False), getattr(self.nic, name), key=key, text=self.typed.get(key))
        with Horizontal(classes="disk-actions"):
            yield Button("Remove NIC", classes="remove-nic", compact=True, variant="error")


class NetworkScreen(StepScreen):
    STEP = "network"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "add_nic", "Add NIC", priority=True),
        Binding("ctrl+d", "remove_nic", "Remove NIC", priority=True),
    ]

    def compose_form(self) -> ComposeResult:
        yield from super().compose_form()
        yield from self._boxes()
        yield Button("Add NIC", id="add-nic", compact=True)

    def _boxes(self) -> list[NicBox]:
        return [NicBox(i, nic, self.wizard.typed) for i, nic in enumerate(self.wizard.config.more_nics)]

    def answer(self, row: FieldRow, raw: Any) -> None:
        if row.key.startswith("more_nics["):
            self.wizard.answer_nic(int(row.key.split("]")[0].removeprefix("more_nics[")), row.spec, raw)
        else:
            super().answer(row, raw)

    async def rebuild(self) -> None:
        form = self.query_one("#form", VerticalScroll)
        await form.query(NicBox).remove()
        for key in [k for k in self.loaded_args if k.startswith("more_nics[")]:
            del self.loaded_args[key]
        await form.mount_all(self._boxes(), before="#add-nic")
        self.load_all()
        self.refresh_errors()

    @on(Button.Pressed, "#add-nic")
    async def action_add_nic(self) -> None:
        """The new NIC's box goes below the others, which stay mounted (keys typed just before Ctrl-N still reach
        their field; see DisksScreen.action_add_disk)."""
        self.wizard.add_nic()
        index = len(self.wizard.config.more_nics) - 1
        box = NicBox(index, self.wizard.config.more_nics[index], self.wizard.typed)
        form = self.query_one("#form", VerticalScroll)
        await form.mount(box, before="#add-nic")
        self.load_all()
        self.refresh_errors()
        box.query(FieldRow).first().control.focus(scroll_visible=False)
        self.call_after_refresh(form.scroll_to_widget, box, top=True, animate=False)

    @on(Button.Pressed, ".remove-nic")
    async def _remove_pressed(self, event: Button.Pressed) -> None:
        box = next(a for a in event.button.ancestors if isinstance(a, NicBox))
        await self._remove(box.index)

    async def action_remove_nic(self) -> None:
        focused = self.focused
        box = next((a for a in (focused.ancestors if focused else []) if isinstance(a, NicBox)), None)
        if box is None:
            self.say("Focus a further NIC (net1, ...) to remove it.")
            return
        await self._remove(box.index)

    async def _remove(self, index: int) -> None:
        self.wizard.remove_nic(index)
        await self.rebuild()
        self.query_one("#add-nic").focus()

    def empty_message(self, source: str, args: tuple[str, ...]) -> str:
        if source == "bridges":
            return f"no bridges on {args[-1]}: create one, or turn the network device off"
        return super().empty_message(source, args)
