"""``pvectl completion show|install SHELL``: the bash/zsh/fish hook scripts (also committed in completions/)."""

# No `from __future__ import annotations`: Typer would re-evaluate string annotations on every run.

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Shell completion for bash, zsh and fish: print the hook script or install it.",
    short_help="Shell completion scripts for bash, zsh and fish.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


ShellArg = Annotated[Shell, typer.Argument(help="bash, zsh or fish.", show_default=False, metavar="SHELL")]


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
def show(ctx: typer.Context, shell: ShellArg) -> None:
    """Print the completion script of a shell.

    Load it with `eval "$(pvectl completion show bash)"`; -o json/yaml wrap it as {"shell": ..., "script": ...}.
    """
    from pvectl.cli.completion_classes import script
    from pvectl.cli.output import show as show_data

    text = script(shell.value)
    show_data(ctx, {"shell": shell.value, "script": text}, human=text, piped="text")


@app.command("install")
def install(shell: ShellArg) -> None:
    """Install the completion script where the shell loads it.

    Says what else the shell needs (bash-completion, an fpath line for zsh).
    """
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
