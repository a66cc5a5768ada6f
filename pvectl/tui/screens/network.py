"""Network: bridge, model, firewall, VLAN, MTU, rate limit, multiqueue, MAC -- or no network device."""

from __future__ import annotations

from pvectl.tui.screens.base import StepScreen


class NetworkScreen(StepScreen):
    STEP = "network"

    def empty_message(self, source: str, args: tuple[str, ...]) -> str:
        if source == "bridges":
            return f"no bridges on {args[-1]}: create one, or turn the network device off"
        return super().empty_message(source, args)
