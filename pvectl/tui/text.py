"""Text that is shown as it is: field labels, help, notes and server messages carry ``[...]`` (``[,gw=IP]``,
``[default: 10m]``) that Textual would otherwise read as markup (and fail on, or style)."""

from __future__ import annotations

from rich.markup import escape


def plain(text: str) -> str:
    """``text`` with every markup bracket escaped, for widgets that take markup (labels, tooltips, toasts)."""
    return escape(text)
