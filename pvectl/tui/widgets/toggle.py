"""A checkbox toggled by Space only (so that Enter stays "next step"), labelled yes/no."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Checkbox


class Toggle(Checkbox, inherit_bindings=False):
    """A compact on/off control that says what it is set to.

    | Key | Description |
    | :- | :- |
    | space | Toggle. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_button", "Toggle")]

    def __init__(self, value: bool = False, *, tooltip: str | None = None) -> None:
        super().__init__("yes" if value else "no", value, compact=True, tooltip=tooltip)

    @property
    def _button(self) -> Content:
        """``[x]`` on, ``[ ]`` off: the two states differ in their characters, not only in colour (NO_COLOR,
        16-colour terminals); Textual's own ``▐X▌`` shows the same X either way."""
        return Content.styled("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button"))

    def watch_value(self) -> None:
        self.label = "yes" if self.value else "no"
        super().watch_value()
