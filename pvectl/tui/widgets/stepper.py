"""The step indicator: "3/8 System", then every step with the current one highlighted and the ones before it
marked done (numbers only when the titles do not fit)."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

TITLES = ("General", "OS", "System", "Disks", "CPU", "Memory", "Network", "Confirm")
OPTIONAL = {"Cloud-Init": "Network"}  # optional steps: unnumbered, shown after the step they follow


def heading(current: str) -> str:
    """``3/8 System``; Login and Submit stand outside the numbered steps."""
    if current in TITLES:
        return f"{TITLES.index(current) + 1}/{len(TITLES)} {current}"
    if current in OPTIONAL:
        return f"{current} (optional)"
    return current


class Stepper(Widget):
    """One line: where the user is, as a number and a title, and the way through the steps."""

    DEFAULT_CSS = """
    Stepper { height: 1; width: 1fr; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    @property
    def heading(self) -> str:
        return heading(self.current)

    def render(self) -> Content:
        return self.render_steps(self.current, self.size.width - 2)

    @classmethod
    def render_steps(cls, current: str, width: int = 200) -> Content:
        """Every step in order, the optional ones unnumbered after the step they follow (``CI`` when only the
        numbers fit)."""
        order: list[tuple[str, str]] = []  # (title, short form)
        for number, title in enumerate(TITLES, start=1):
            order.append((title, str(number)))
            order += [(name, "CI") for name, after in OPTIONAL.items() if after == title]
        titles = [t for t, _ in order]
        index = titles.index(current) if current in titles else (len(titles) if current == "Submit" else -1)
        head = Content.styled(heading(current), "bold reverse")
        for names in ([t for t, _ in order], [short for _, short in order]):
            parts: list[Content] = []
            for i, title in enumerate(names):
                if i == index:
                    parts.append(Content.styled(f"[{title}]", "bold"))
                elif i < index:
                    parts.append(Content.styled(f"✓{title}", "$success"))
                else:
                    parts.append(Content(title))
            line = Content.assemble(head, "  ", Content(" ").join(parts))
            if line.cell_length <= width:
                return line
        return head
