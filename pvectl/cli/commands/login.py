"""``pvectl login``: log in with a password (and a second factor when asked) and cache the ticket."""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl.cli.errors import USAGE, CliError, handles_errors

app = typer.Typer(name="login", add_completion=False, rich_markup_mode=None, subcommand_metavar="")


@app.callback(invoke_without_command=True)
@handles_errors
def login(
    ctx: typer.Context,
    otp: Annotated[
        str | None,
        typer.Option("--otp", help="Second factor: a TOTP code or recovery:KEY (prompted for when needed)."),
    ] = None,
) -> None:
    """Log in with a password; the ticket is cached (0600) so the next commands need no password.

    The password comes from --password-stdin, PVECTL_PASSWORD, the context, or a prompt. Tickets last two
    hours and are renewed while in use. With an API token, checks that the token works.
    """
    import dataclasses
    import sys

    from pvectl.cli.connection import auth_for, new_client, resolve, ticket_auth, tls_kwargs
    from pvectl.cli.context import AppContext, GlobalOptions
    from pvectl.config.tickets import cache_file
    from pvectl.sdk import ProxmoxClient
    from pvectl.sdk._core.auth import default_realm

    found = ctx.find_object(AppContext)
    options = found.options if found is not None else GlobalOptions()
    if options.sim:
        from pvectl.cli.connection import make_client

        with make_client(options) as client:
            version = client.version().version
        typer.echo(f"The simulator at {client.base_url} (PVE {version}) takes its API token; no login needed.")
        return
    settings = resolve(options)
    base = {"base_url": settings.base_url, **tls_kwargs(settings)}
    if settings.token is not None and options.user is None:
        with new_client(ProxmoxClient, options, **base, auth=auth_for(options, settings)) as client:
            version = client.version().version
        typer.echo(f"API token {settings.token.partition('=')[0]} works on {settings.base_url} (PVE {version})")
        return
    user = settings.user
    if user is None:
        if not sys.stdin.isatty():
            raise CliError("no user: pass --user USER@REALM or set PVECTL_USER", USAGE)
        user = str(typer.prompt("User (USER@REALM)", err=True))
    if "@" not in user:
        # no realm given: take the server's default, as the GUI's login box does
        with new_client(ProxmoxClient, options, **base) as anonymous:
            user = f"{user}@{default_realm(anonymous.realms()) or 'pam'}"
    settings = dataclasses.replace(settings, user=user, token=None)
    auth = ticket_auth(options, settings, interactive=True, use_cache=False, otp=otp)
    with new_client(ProxmoxClient, options, **base, auth=auth) as client:
        client.login()
    typer.echo(f"Logged in to {settings.base_url} as {auth.user}; ticket cached in {cache_file()}", err=True)
