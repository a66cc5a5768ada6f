"""System: machine, BIOS, EFI disk and its storage, Secure Boot keys, SCSI controller, agent, serial console."""

from __future__ import annotations

from pvectl.tui.screens.base import StepScreen


class SystemScreen(StepScreen):
    STEP = "system"
