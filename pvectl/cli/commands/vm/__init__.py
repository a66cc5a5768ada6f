"""``pvectl vm``: create VMs and the daily commands (list, show, start, stop, ...)."""

from __future__ import annotations

import typer

from pvectl.cli.commands.vm.create import create

app = typer.Typer(
    name="vm",
    help="Create and manage virtual machines.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def vm() -> None:
    """Create and manage virtual machines."""


app.command("create", help="Create a VM (flags, --from-file; -i and --tui arrive later).")(create)
