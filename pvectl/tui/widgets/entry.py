"""A one-line text input whose Enter the footer names for what it does here: the next step."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class Entry(Input):
    """An input; Enter submits it (the step screen then goes to the next step)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "submit", "Next")]
