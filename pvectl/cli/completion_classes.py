"""Shell completion protocol: Typer's bash/zsh/fish classes, minus the rich import on every TAB.

Typer renders zsh/fish help strings through rich; pvectl's help strings are plain text, so these subclasses
format them directly and a TAB stays free of rich. The scripts are Typer's (``completions/`` holds them).
Typer's private completion modules are touched here only.
"""

from __future__ import annotations

import re

from typer._click.shell_completion import CompletionItem, add_completion_class
from typer._completion_classes import BashComplete, FishComplete, ZshComplete
from typer._completion_shared import get_completion_script

PROG = "pvectl"
COMPLETE_VAR = "_PVECTL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def _zsh_escape(text: str) -> str:
    return text.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`").replace(":", r"\\:")


class PlainZshComplete(ZshComplete):
    def format_completion(self, item: CompletionItem) -> str:
        if item.help:
            return f'"{_zsh_escape(item.value)}":"{_zsh_escape(" ".join(item.help.split()))}"'
        return f'"{_zsh_escape(item.value)}"'


class PlainFishComplete(FishComplete):
    def format_completion(self, item: CompletionItem) -> str:
        if item.help:
            text = re.sub(r"\s+", " ", item.help)
            return f"{item.value}\t{text}"
        return str(item.value)


def register() -> None:
    """Install the classes for ``_PVECTL_COMPLETE=complete_{bash,zsh,fish}``."""
    add_completion_class(BashComplete, "bash")
    add_completion_class(PlainZshComplete, "zsh")
    add_completion_class(PlainFishComplete, "fish")


def script(shell: str) -> str:
    """The hook script for ``shell`` (what ``completions/`` holds and ``pvectl completion show`` prints)."""
    if shell not in SHELLS:
        raise ValueError(f"unsupported shell {shell!r}; choose one of {', '.join(SHELLS)}")
    text: str = get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)
    return text + "\n"
