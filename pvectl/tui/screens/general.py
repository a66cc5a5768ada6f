"""General: node, VM id (the next free one unless given), name, pool, tags, HA, start at boot, order."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.widgets import Input

from pvectl.tui.screens.base import StepScreen
from pvectl.tui.widgets.field import FieldRow
from pvectl.vm.reference import Ref


def duplicate_note(name: str, vmid: int) -> str:
    """PVE allows two VMs of one name; commands that take a name then refuse to guess (the flags refuse it
    unless --allow-duplicate-name). The wizards warn and go on."""
    return f"VM {vmid} is named '{name}' already: both would share the name"


class GeneralScreen(StepScreen):
    STEP = "general"

    def resume(self) -> None:
        super().resume()
        self._vmids()

    @work(thread=True, exit_on_error=False, group="reference")
    def _vmids(self) -> None:
        nextid = self.session.load("next_vmid")
        guests = self.session.load("guests")
        self.app.call_from_thread(self._vmids_loaded, nextid, guests)

    def _vmids_loaded(self, nextid: Ref[int], guests: Ref[Any]) -> None:
        row = self.row("general.vmid")
        control = row.control
        assert isinstance(control, Input)
        if nextid.state == "ready":
            control.placeholder = f"next free: {nextid.value}"
            row.set_state("ready")
            taken = self.wizard.taken_meanwhile
            if taken is not None and taken == self.wizard.config.general.vmid:
                self.wizard.notes["general.vmid"] = (
                    f"VM {taken} was taken meanwhile; the next free id is {nextid.value}: "
                    "clear the field to take it, or type another"
                )
        else:
            control.placeholder = "next free id"
            row.set_state("error", f"could not ask for the next free id: {nextid.error}")
        self.wizard.taken_vmids |= {g.vmid for g in guests.get([])}  # with an id found taken on submit
        self.names = {g.name: g.vmid for g in guests.get([]) if g.name}
        self.refresh_errors()

    names: dict[str, int] = {}  # noqa: RUF012 -- replaced, never mutated: existing VM names -> their ids

    def refresh_errors(self) -> None:
        name = self.wizard.config.general.name
        if name and name in self.names:
            self.wizard.notes["general.name"] = duplicate_note(name, self.names[name])
        else:
            self.wizard.notes.pop("general.name", None)
        super().refresh_errors()

    def load(self, row: FieldRow, *, force: bool = False) -> None:
        if row.key == "general.vmid":  # its retry: ask for the next free id again
            row.set_state("loading", "asking for the next free id…")
            self._vmids()
            return
        super().load(row, force=force)

    def ready_message(self, source: str, value: Any) -> str:
        if source == "tags":
            return "known: " + ", ".join(value) if value else ""
        return ""

    def empty_message(self, source: str, args: tuple[str, ...]) -> str:
        return {"pools": "no resource pools (the VM joins none)", "tags": "no tags in use yet"}.get(
            source, super().empty_message(source, args)
        )
