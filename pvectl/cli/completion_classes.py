"""Shell completion protocol: Typer's bash/zsh/fish classes, minus the rich import on every TAB.

Typer renders zsh/fish help strings through rich; pvectl's help strings are plain text, so these subclasses
format them directly and a TAB stays free of rich. The scripts are Typer's (``completions/`` holds them).
Typer's private completion modules are touched here only.
"""

from __future__ import annotations

import os
import re

from typer._click.shell_completion import CompletionItem, add_completion_class, split_arg_string
from typer._completion_classes import BashComplete, FishComplete, ZshComplete
from typer._completion_shared import get_completion_script

PROG = "pvectl"
COMPLETE_VAR = "_PVECTL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def _zsh_escape(text: str) -> str:
    return text.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`").replace(":", r"\\:")


# Typer's bash hook plus COMP_LINE/COMP_POINT, so values with a colon (storage:iso/x.iso) complete whole.
BASH_SCRIPT = """\
_pvectl_completion() {
    local IFS=$'\\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \\
                   COMP_CWORD=$COMP_CWORD \\
                   COMP_LINE="$COMP_LINE" \\
                   COMP_POINT=$COMP_POINT \\
                   _PVECTL_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _pvectl_completion pvectl
"""


class ColonAwareBashComplete(BashComplete):
    """Reads the line itself when bash passes it: bash splits words at ':' (COMP_WORDBREAKS), so the value
    being completed is rebuilt from COMP_LINE, and each candidate loses the part bash will not replace."""

    _trim = ""

    def get_completion_args(self) -> tuple[list[str], str]:
        line, point = os.environ.get("COMP_LINE"), os.environ.get("COMP_POINT", "")
        if line is None or not point.isdigit():
            args, incomplete = super().get_completion_args()
            return list(args), str(incomplete)
        text = line[: int(point)]
        words = split_arg_string(text)
        if not words or (text.endswith((" ", "\t")) and not text.endswith(("\\ ",))):
            args, incomplete = words[1:], ""
        else:
            args, incomplete = words[1:-1], words[-1]
        self._trim = incomplete.rpartition(":")[0] + ":" if ":" in incomplete else ""
        return args, incomplete

    def format_completion(self, item: CompletionItem) -> str:
        value = str(item.value)
        return value[len(self._trim) :] if self._trim and value.startswith(self._trim) else value


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
    add_completion_class(ColonAwareBashComplete, "bash")
    add_completion_class(PlainZshComplete, "zsh")
    add_completion_class(PlainFishComplete, "fish")


def script(shell: str) -> str:
    """The hook script for ``shell`` (what ``completions/`` holds and ``pvectl completion show`` prints)."""
    if shell not in SHELLS:
        raise ValueError(f"unsupported shell {shell!r}; choose one of {', '.join(SHELLS)}")
    if shell == "bash":
        return BASH_SCRIPT
    text: str = get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)
    return text + "\n"
