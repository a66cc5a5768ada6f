"""``pvectl logout``: forget cached tickets (PVE tickets cannot be revoked; they expire after two hours)."""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl.cli.errors import handles_errors

app = typer.Typer(name="logout", add_completion=False, rich_markup_mode=None, subcommand_metavar="")


@app.callback(invoke_without_command=True)
@handles_errors
def logout(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Forget the tickets of every server and user.")] = False,
) -> None:
    """Forget the cached ticket of the current context's user and server."""
    from pvectl.cli.connection import resolve
    from pvectl.cli.context import AppContext, GlobalOptions
    from pvectl.config.tickets import drop_tickets

    if all_:
        count = drop_tickets()
        typer.echo(f"Forgot {count} cached ticket{'s' if count != 1 else ''}.", err=True)
        return
    found = ctx.find_object(AppContext)
    settings = resolve(found.options if found is not None else GlobalOptions())
    count = drop_tickets(settings.base_url, settings.user)
    who = f"{settings.user or 'any user'} on {settings.base_url}"
    typer.echo(f"Logged out {who}." if count else f"No cached ticket for {who}.", err=True)
