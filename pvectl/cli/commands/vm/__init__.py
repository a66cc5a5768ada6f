"""``pvectl vm``: create VMs and the daily commands (list, show, start, stop, ...)."""

from __future__ import annotations

import typer

from pvectl.cli.commands.vm import daily, power, snapshot
from pvectl.cli.commands.vm.clone import clone
from pvectl.cli.commands.vm.create import create
from pvectl.cli.commands.vm.exec import exec_
from pvectl.cli.commands.vm.export import export
from pvectl.cli.commands.vm.flags import VmCreateCommand
from pvectl.cli.commands.vm.migrate import migrate
from pvectl.cli.commands.vm.pending import pending
from pvectl.cli.commands.vm.resize import resize
from pvectl.cli.commands.vm.set import set_
from pvectl.cli.commands.vm.template import template
from pvectl.cli.commands.vm.wait import wait
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
app.command("start", cls=ApiCommand)(power.start)
app.command("stop", cls=ApiCommand)(power.stop)
app.command("shutdown", cls=ApiCommand)(power.shutdown)
app.command("reboot", cls=ApiCommand)(power.reboot)
app.command("suspend", cls=ApiCommand)(power.suspend)
app.command("resume", cls=ApiCommand)(power.resume)
app.command("delete", cls=ApiCommand)(power.delete)
app.command("clone", cls=ApiCommand)(clone)
app.command("template", cls=ApiCommand)(template)
app.command("wait", cls=ApiCommand)(wait)
app.command("exec", cls=ApiCommand)(exec_)
app.add_typer(daily.serial)
app.command("resize", cls=ApiCommand)(resize)
app.command("set", cls=ApiCommand)(set_)
app.command("pending", cls=ApiCommand)(pending)
app.add_typer(snapshot.app)
app.command("migrate", cls=ApiCommand)(migrate)
app.command("export", cls=ApiCommand)(export)
