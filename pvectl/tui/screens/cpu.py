"""CPU: sockets, cores and the type from the node's list; advanced: vCPUs, limit, affinity, units, NUMA, flags."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from pvectl.tui.screens.base import StepScreen, options_of
from pvectl.tui.widgets.field import FieldRow
from pvectl.vm.cpu import CpuCatalog
from pvectl.vm.reference import Ref


class CpuScreen(StepScreen):
    STEP = "cpu"

    def loaded(self, row: FieldRow, source: str, ref: Ref[Any]) -> None:
        catalog = ref.value
        if source != "cpu" or not isinstance(catalog, CpuCatalog):
            return
        self.wizard.cpu = catalog  # the rules now check the type, flags and units against this node
        chosen = self.wizard.get("cpu.type")
        if chosen not in catalog.names:  # shown as it is, with the rules' error, never as "(none)"
            row.set_options([*options_of("cpu", catalog), (f"{chosen} (not offered)", chosen)], chosen)
        for note in catalog.notes:
            self.wizard.notes["cpu.flags"] = note
        units = self.row("cpu.cpuunits")
        if isinstance(units.control, Input):
            units.control.placeholder = f"default {catalog.units.default}"
        units.set_state("ready", f"{catalog.units.describe()} on {catalog.node}")
        self.row("cpu.flags").set_state("ready", "+ or - each of: " + " ".join(catalog.flags))
