"""``pvectl backup protect|unprotect|notes|delete VOLID``: one backup's attributes, or removing it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pvectl.cli.commands.backup.common import NodeOpt, VolidArg
from pvectl.cli.errors import reported


def _set(ctx: typer.Context, volid: str, node: str | None, **attrs: object) -> None:
    from pvectl.cli.commands.backup.common import find

    client = ctx.obj.client()
    backup = find(client, volid, node)
    # pve-storage API2/Storage/Content.pm updateattributes: notes and protected (backups only)
    client.nodes(backup.node).storage(backup.storage).content(volid).set(**attrs)


def protect(ctx: typer.Context, volid: VolidArg, node: NodeOpt = None) -> None:
    """Protect a backup: PVE then refuses to delete or prune it."""
    with reported():
        _set(ctx, volid, node, protected=True)
        print(f"protected {volid}")


def unprotect(ctx: typer.Context, volid: VolidArg, node: NodeOpt = None) -> None:
    """Remove a backup's protection (prune and delete may then remove it)."""
    with reported():
        _set(ctx, volid, node, protected=False)
        print(f"unprotected {volid}")


def notes(
    ctx: typer.Context,
    volid: VolidArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The notes ('' removes them).", show_default=False)],
    node: NodeOpt = None,
) -> None:
    """Set a backup's notes (shown by backup list)."""
    with reported():
        _set(ctx, volid, node, notes=text)
        print(f"notes of {volid} {'set' if text else 'removed'}")


def delete(
    ctx: typer.Context,
    volid: VolidArg,
    node: NodeOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a backup (PVE refuses a protected one: unprotect it first)."""
    with reported():
        from pvectl.cli.commands.backup.common import find
        from pvectl.cli.errors import FAILURE, CliError
        from pvectl.cli.tasks import wait_for
        from pvectl.cli.writes import confirm
        from pvectl.sdk import TaskFailed

        client = ctx.obj.client()
        backup = find(client, volid, node)
        if not yes:
            confirm(f"Delete backup {volid}?", f"refusing to delete {volid}")
        task = client.nodes(backup.node).storage(backup.storage).content(volid).delete()
        if task is None:
            print(f"deleted {volid}")
            return
        try:
            wait_for(client, str(task), verbose=bool(ctx.obj.options.verbose))
        except TaskFailed as exc:
            # PVE refuses a protected backup inside the task (pve-storage Plugin.pm free_image: "cannot remove
            # protected volume ...")
            hint = [f"unprotect it first: pvectl backup unprotect '{volid}'"] if "protected" in exc.exitstatus else []
            raise CliError(f"PVE did not delete {volid}: {exc.exitstatus}", FAILURE, hint) from None
        print(f"deleted {volid}", file=sys.stdout)
