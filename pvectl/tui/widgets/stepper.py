"""The step indicator: where the user is in Login, General, ..., Confirm, Submit."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

TITLES = ("General", "OS", "System", "Disks", "CPU", "Memory", "Network", "Confirm", "Submit")


class Stepper(Static):
    """One line naming every step; the current one highlighted, the ones before it marked done."""

    DEFAULT_CSS = """
    Stepper { height: 1; width: 1fr; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, current: str) -> None:
        super().__init__(self.render_steps(current))

    @staticmethod
    def render_steps(current: str) -> Content:
        parts: list[Content] = []
        index = TITLES.index(current) if current in TITLES else -1
        for i, title in enumerate(TITLES):
            if i == index:
                parts.append(Content.styled(f" {title} ", "bold reverse"))
            elif i < index:
                parts.append(Content.styled(f" {title} ", "$success"))
            else:
                parts.append(Content(f" {title} "))
        return Content("›").join(parts)
