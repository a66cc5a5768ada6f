"""``pvectl completion show|install SHELL``: the bash/zsh/fish hook scripts (also committed in completions/)."""

# No `from __future__ import annotations`: Typer would re-evaluate string annotations on every run.

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Shell completion for bash, zsh and fish.", no_args_is_help=True, add_completion=False, rich_markup_mode=None
)


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


ShellArg = Annotated[Shell, typer.Argument(help="bash, zsh or fish.", show_default=False)]


def target(shell: str) -> Path:
    """Where ``install`` writes the script: the directories each shell loads completions from."""
    home = Path.home()
    if shell == "bash":
        data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
        return data / "bash-completion" / "completions" / "pvectl"
    if shell == "zsh":
        return home / ".zfunc" / "_pvectl"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return config / "fish" / "completions" / "pvectl.fish"


@app.command("show")
def show(shell: ShellArg) -> None:
    """Print the completion script (e.g. `eval "$(pvectl completion show bash)"`)."""
    from pvectl.cli.completion_classes import script

    typer.echo(script(shell.value), nl=False)


@app.command("install")
def install(shell: ShellArg) -> None:
    """Write the completion script where the shell picks it up, and say what else is needed."""
    from pvectl.cli.completion_classes import script

    path = target(shell.value)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script(shell.value))
    typer.echo(f"installed {shell.value} completion in {path}")
    if shell is Shell.bash:
        typer.echo("needs the bash-completion package; open a new shell to use it")
    elif shell is Shell.zsh:
        typer.echo(f"add to ~/.zshrc (before compinit): fpath=({path.parent} $fpath); then open a new shell")
    else:
        typer.echo("open a new shell to use it")
