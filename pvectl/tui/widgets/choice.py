"""A select whose menu opens with Space or the arrow keys, so that Enter stays "next step"."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Select


class Choice(Select[Any], inherit_bindings=False):
    """A compact drop-down list.

    | Key | Description |
    | :- | :- |
    | space, up, down | Open the list. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "show_overlay", "Choose"),
        Binding("down,up", "show_overlay", "Choose", show=False),
    ]
