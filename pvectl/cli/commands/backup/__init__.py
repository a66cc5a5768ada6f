"""``pvectl backup``: create, list, show, restore, protect, annotate, delete and prune backups; backup jobs."""

from __future__ import annotations

import typer

from pvectl.cli.commands.backup import job, listing, prune, volume
from pvectl.cli.commands.backup.create import create
from pvectl.cli.commands.backup.restore import restore
from pvectl.cli.runner import ApiCommand  # accepts -o/--output after the command too

app = typer.Typer(
    name="backup",
    help="Backups of VMs and containers: create, list, show, restore, protect, notes, delete, prune; jobs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def backup() -> None:
    """Backups of VMs and containers (vzdump archives, Proxmox Backup Server snapshots), and backup jobs."""


app.command("create", cls=ApiCommand)(create)
app.command("list", cls=ApiCommand)(listing.list_backups)
app.command("show", cls=ApiCommand)(listing.show)
app.command("restore", cls=ApiCommand)(restore)
app.command("protect", cls=ApiCommand)(volume.protect)
app.command("unprotect", cls=ApiCommand)(volume.unprotect)
app.command("notes", cls=ApiCommand)(volume.notes)
app.command("delete", cls=ApiCommand)(volume.delete)
app.command("prune", cls=ApiCommand)(prune.prune)
app.add_typer(job.app)
