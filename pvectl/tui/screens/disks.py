"""Disks: a list of disks, each with bus/device (numbered automatically), storage, size, format, IO thread,
SSD emulation, backup and async IO; Ctrl-N adds one, Ctrl-D removes the focused one."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button

from pvectl.tui.screens.base import StepScreen
from pvectl.tui.widgets.field import FieldRow
from pvectl.vm.config import Disk
from pvectl.vm.fields import DISK_FIELDS, FieldSpec
from pvectl.vm.labels import label
from pvectl.vm.osdefaults import set_bus
from pvectl.vm.reference import Ref, StorageInfo


class DiskBox(Vertical):
    """The rows of one disk, titled with its device."""

    def __init__(self, index: int, disk: Any, typed: dict[str, Any]) -> None:
        super().__init__(classes="disk", id=f"disk-{index}")
        self.index = index
        self.disk = disk
        self.typed = typed  # key -> text that did not parse: shown again as typed, never replaced

    def compose(self) -> ComposeResult:
        for spec in DISK_FIELDS:
            key = f"disks[{self.index}].{spec.path}"
            yield FieldRow(spec, getattr(self.disk, spec.path), key=key, text=self.typed.get(key))
        with Horizontal(classes="disk-actions"):
            yield Button("Remove disk", classes="remove", compact=True, variant="error")


class DisksScreen(StepScreen):
    STEP = "disks"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "add_disk", "Add disk", priority=True),
        Binding("ctrl+d", "remove_disk", "Remove disk", priority=True),
    ]

    storages: dict[str, StorageInfo] = {}  # noqa: RUF012 -- replaced, never mutated
    bus_moved = False

    def compose_form(self) -> ComposeResult:
        yield from self._boxes()
        yield Button("Add disk", id="add-disk", compact=True)
        yield self.advanced_switch()

    def advanced_specs(self) -> list[FieldSpec]:
        return [f for f in DISK_FIELDS if f.advanced]

    def advanced_on(self) -> bool:
        remembered = self.wizard_app.advanced.get(self.STEP)
        if remembered is not None:
            return remembered
        fresh = Disk()
        specs = self.advanced_specs()
        return any(getattr(d, f.path) != getattr(fresh, f.path) for d in self.wizard.config.disks for f in specs)

    def _boxes(self) -> list[DiskBox]:
        return [DiskBox(i, disk, self.wizard.typed) for i, disk in enumerate(self.wizard.config.disks)]

    async def rebuild(self) -> None:
        form = self.query_one("#form", VerticalScroll)
        await form.query(DiskBox).remove()
        self.loaded_args.clear()
        await form.mount_all(self._boxes(), before="#add-disk")
        self.show_advanced(self.advanced_on())
        self.load_all()
        self.refresh_errors()

    def answer(self, row: FieldRow, raw: Any) -> None:
        index = int(row.key.split("]")[0].removeprefix("disks["))
        bus = self.wizard.config.disks[index].bus
        self.wizard.answer_disk(index, row.spec, raw)
        # a Select reports its first value when it is mounted: only a real change of bus moves the device
        self.bus_moved = row.spec.path == "bus" and self.wizard.config.disks[index].bus != bus

    def refresh_errors(self) -> None:
        super().refresh_errors()
        devices = [d.device for d in self.wizard.preview().disks]
        for box in self.query(DiskBox):
            device = devices[box.index] if box.index < len(devices) else "?"
            box.border_title = f"Disk {box.index + 1}: {device}"

    @on(Button.Pressed, "#add-disk")
    async def action_add_disk(self) -> None:
        """The new disk's box goes below the others, which stay mounted: keys typed just before Ctrl-N (a priority
        key, handled before them) still reach their field, so what was typed is what the wizard holds."""
        self.wizard.add_disk()
        index = len(self.wizard.config.disks) - 1
        box = DiskBox(index, self.wizard.config.disks[index], self.wizard.typed)
        form = self.query_one("#form", VerticalScroll)
        await form.mount(box, before="#add-disk")
        self.show_advanced(self.advanced_on())
        self.load_all()
        self.refresh_errors()
        box.query(FieldRow).first().control.focus(scroll_visible=False)
        self.call_after_refresh(form.scroll_to_widget, box, top=True, animate=False)

    @on(Button.Pressed, ".remove")
    async def _remove_pressed(self, event: Button.Pressed) -> None:
        box = next(a for a in event.button.ancestors if isinstance(a, DiskBox))
        await self._remove(box.index)

    async def action_remove_disk(self) -> None:
        focused = self.focused
        box = next((a for a in (focused.ancestors if focused else []) if isinstance(a, DiskBox)), None)
        if box is None:
            self.say("Focus a disk to remove it.")
            return
        await self._remove(box.index)

    async def _remove(self, index: int) -> None:
        self.wizard.remove_disk(index)
        await self.rebuild()
        self.query_one("#add-disk").focus()

    def loaded(self, row: FieldRow, source: str, ref: Ref[Any]) -> None:
        if source == "image_storages" and ref.state == "ready":
            self.storages = {s.storage: s for s in ref.get([])}
            self._formats(row.key.split(".")[0])

    def changed(self, row: FieldRow) -> None:
        if row.spec.path == "storage":
            self._formats(row.key.split(".")[0])
        if row.spec.path == "bus" and self.bus_moved:
            self._bus_changed(int(row.key.split("]")[0].removeprefix("disks[")))

    def _bus_changed(self, index: int) -> None:
        """A new bus: the next free device on it, and what the bus cannot do switched off (as the GUI does)."""
        disk = self.wizard.config.disks[index]
        set_bus(disk, disk.bus)
        self.row(f"disks[{index}].index").show_value(None)
        for name in ("ssd", "iothread", "ro"):
            key = f"disks[{index}].{name}"
            if any(r.key == key for r in self.rows()):
                self.row(key).show_value(getattr(disk, name))

    def _formats(self, disk: str) -> None:
        """Offer the formats the disk's storage supports (raw only on RBD, LVM, ZFS), as the GUI does."""
        index = int(disk.removeprefix("disks[").rstrip("]"))
        info = self.storages.get(self.wizard.config.disks[index].storage)
        if info is None:
            return
        row = self.row(f"{disk}.format")
        current = self.wizard.get(row.key)
        if current not in info.formats:
            self.wizard.answer_disk(index, row.spec, info.formats[0])
            self.wizard.notes[row.key] = f"{info.storage} stores {', '.join(info.formats)}: format {info.formats[0]}"
        row.set_options([(label("format", f), f) for f in info.formats], self.wizard.get(row.key))

    def empty_message(self, source: str, args: tuple[str, ...]) -> str:
        return f"no disk storages on {args[-1]}" if source == "image_storages" else super().empty_message(source, args)
