"""CPU: sockets, cores, type."""

from __future__ import annotations

from pvectl.tui.screens.base import StepScreen


class CpuScreen(StepScreen):
    STEP = "cpu"
