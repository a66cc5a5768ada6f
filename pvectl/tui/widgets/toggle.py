"""A checkbox toggled by Space only (so that Enter stays "next step"), labelled yes/no."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
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

    def watch_value(self) -> None:
        self.label = "yes" if self.value else "no"
        super().watch_value()
