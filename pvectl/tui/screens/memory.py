"""Memory: memory, minimum memory (follows memory until edited), ballooning device, KSM."""

from __future__ import annotations

from pvectl.tui.screens.base import StepScreen
from pvectl.tui.widgets.field import FieldRow


class MemoryScreen(StepScreen):
    STEP = "memory"

    def resume(self) -> None:
        super().resume()
        self._follow()

    def changed(self, row: FieldRow) -> None:
        if row.key == "memory.memory":
            self._follow()

    def _follow(self) -> None:
        """While minimum memory is not set (None), show it following memory."""
        if self.wizard.get("memory.min_memory") is None and "memory.memory" not in self.wizard.invalid:
            self.row("memory.min_memory").show_value(self.wizard.config.effective_min_memory)
