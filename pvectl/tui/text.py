"""Text that is shown as it is: field labels, help, notes and server messages carry ``[...]`` (``[,gw=IP]``,
``[default: 10m]``) that Textual would otherwise read as markup (and fail on, or style)."""

from __future__ import annotations

from rich.markup import escape


def plain(text: str) -> str:
    """``text`` with every markup bracket escaped, for widgets that take markup (labels, tooltips, toasts)."""
    return escape(text)


def wrap_under(text: str, width: int, hang: int = 2) -> str:
    """``text`` with every line wider than ``width`` broken after a comma or a space (a piece longer than a line:
    where the line ends), its further lines indented ``hang`` cells deeper than it: a long value (a volume id, a
    disk with limits, a request's purpose) wraps under itself instead of being wrapped at column 1 by the terminal."""
    import re

    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * min(len(line) - len(line.lstrip()) + hang, width // 2)
        current = ""  # the line being filled, its indent included
        for piece in re.findall(r"[^, ]*[, ]|[^, ]+", line[len(line) - len(line.lstrip()) :]):
            if current.strip() and len(current) + len(piece.rstrip()) > width:
                out.append(current.rstrip())
                current = indent
            elif not current:
                current = line[: len(line) - len(line.lstrip())]  # the line's own indent
            current += piece
            while len(current.rstrip()) > width:
                out.append(current[:width])
                current = indent + current[width:]
        out.append(current.rstrip())
    return "\n".join(out)
