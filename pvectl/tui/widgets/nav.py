"""Back: shown before Next, reached after it by Tab ("type, Tab, Enter" goes on, never back)."""

from __future__ import annotations

from textual.widgets import Button


class BackButton(Button):
    """A button that comes last in its row's Tab order, wherever it is drawn."""

    @property
    def _focus_sort_key(self) -> tuple[int, int]:
        # Textual orders Tab by position on the screen (Widget._focus_sort_key: row, then column)
        y, x = super()._focus_sort_key
        return y, x + 1_000_000
