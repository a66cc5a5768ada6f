"""``pvectl vm``: create VMs and the daily commands (list, show, start, stop, ...)."""

from __future__ import annotations

import typer

from pvectl.cli.commands.vm import daily
from pvectl.cli.commands.vm.create import create
from pvectl.cli.commands.vm.flags import VmCreateCommand
from pvectl.cli.runner import ApiCommand  # accepts -o/--output after the command too

app = typer.Typer(
    name="vm",
    help="Create and manage virtual machines.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def vm() -> None:
    """Create and manage virtual machines (found by id or name across the cluster)."""


app.command("create", cls=VmCreateCommand, help="Create a VM (flags, --from-file, -i prompts, --tui wizard).")(create)
app.command("list", cls=ApiCommand)(daily.list_vms)
app.command("show", cls=ApiCommand)(daily.show)
app.command("start", cls=ApiCommand)(daily.start)
app.command("stop", cls=ApiCommand)(daily.stop)
app.command("shutdown", cls=ApiCommand)(daily.shutdown)
app.command("reboot", cls=ApiCommand)(daily.reboot)
app.command("delete", cls=ApiCommand)(daily.delete)
app.add_typer(daily.serial)
