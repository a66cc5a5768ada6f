"""``pvectl ct``: LXC containers: create, list, show, the day-2 verbs, snapshots, templates, console."""

from __future__ import annotations

import typer

from pvectl.cli.commands.ct import change, daily, power, snapshot, template
from pvectl.cli.commands.ct.console import console
from pvectl.cli.commands.ct.create import create
from pvectl.cli.commands.ct.export import export
from pvectl.cli.commands.ct.pending import pending
from pvectl.cli.commands.ct.set_ import set_
from pvectl.cli.runner import ApiCommand

HELP = """Create and manage LXC containers (found by id or hostname across the cluster).

There is no `ct exec`: PVE's API has no call that runs a command in a container (`pct exec` runs on the
node itself, outside the API). Use `pvectl ct console ID` for a shell, or ssh into the container."""

app = typer.Typer(name="ct", help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None)


@app.callback(help=HELP)
def ct() -> None:
    """Create and manage LXC containers."""


app.command("create", cls=ApiCommand)(create)
app.command("list", cls=ApiCommand)(daily.list_cts)
app.command("show", cls=ApiCommand)(daily.show)
for _verb in ("start", "stop", "shutdown", "reboot", "suspend", "resume", "delete"):
    app.command(_verb, cls=ApiCommand)(getattr(power, _verb))
app.command("clone", cls=ApiCommand)(change.clone)
app.command("migrate", cls=ApiCommand)(change.migrate)
app.command("resize", cls=ApiCommand)(change.resize)
app.command("set", cls=ApiCommand)(set_)
app.add_typer(snapshot.app)
template.app.command("convert", cls=ApiCommand)(change.convert)
app.command("console", cls=ApiCommand)(console)
app.command("pending", cls=ApiCommand)(pending)
app.command("export", cls=ApiCommand)(export)
app.add_typer(template.app)
