"""Attaching this terminal to a guest's console, shared by ``vm console`` and ``ct console``: the command's
client (a password login to the simulator under ``--sim``), console errors as CLI errors, and the pump between
our terminal (or pipe) and the logged-in websocket (pvectl.console.session)."""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

from pvectl.cli.errors import AUTH, CONNECTION, FAILURE, CliError

if TYPE_CHECKING:
    import typer
    from websockets.sync.client import ClientConnection

    from pvectl.cli.context import GlobalOptions
    from pvectl.console.connect import ConsoleError
    from pvectl.sdk import ProxmoxClient

_CODES = {"auth": AUTH, "connection": CONNECTION, "failure": FAILURE}


def console_client(ctx: typer.Context) -> ProxmoxClient:
    """The command's client; with ``--sim``, a password login to the simulator (its token could not attach).

    With an API token, the ticket ``pvectl --user USER login`` cached for the token's user is used when there is
    one (the remedy pvectl.console.connect.refuse_token prints: older termproxy refuses tokens); otherwise the
    token, and refuse_token decides by the node's qemu-server version."""
    options = ctx.obj.options
    if not options.sim:
        ticketed = ticket_client(options)
        client: ProxmoxClient = ticketed if ticketed is not None else ctx.obj.client()
        return client
    from pvectl.cli.connection import new_client
    from pvectl.sdk import ProxmoxClient
    from pvectl.sim.embedded import sim_connection

    conn = sim_connection()
    sim_client: ProxmoxClient = new_client(
        ProxmoxClient, options, host=conn.base_url, fingerprint=conn.fingerprint, user=conn.user, password=conn.password
    )
    return sim_client


def ticket_client(options: GlobalOptions) -> ProxmoxClient | None:
    """A client logged in as the API token's user with the ticket cached for that user on this server, or None
    (no token in the settings, or no live ticket of its user): the rest of pvectl keeps the token."""
    import dataclasses

    from pvectl.cli.connection import client_kwargs, new_client, resolve
    from pvectl.config.tickets import load_ticket

    settings = resolve(options)
    if settings.token is None:
        return None
    user = settings.token.partition("!")[0]
    if load_ticket(settings.base_url, user) is None:
        return None
    from pvectl.sdk import ProxmoxClient

    settings = dataclasses.replace(settings, token=None, user=user)
    client: ProxmoxClient = new_client(ProxmoxClient, options, **client_kwargs(options, settings, interactive=True))
    return client


def error(exc: ConsoleError) -> CliError:
    return CliError(str(exc), _CODES.get(exc.kind, FAILURE), [f"remedy: {exc.remedy}"] if exc.remedy else [])


def pump(ws: ClientConnection, first: bytes, label: str, port: str) -> int:
    """Our terminal (or pipe) <-> the logged-in console; the terminal restored on every way out."""
    from pvectl.cli.safe_text import safe_cell
    from pvectl.console.session import DETACH_KEY, DETACH_NAME, Session
    from pvectl.console.terminal import raw_mode, signals, window_size

    label = safe_cell(label)  # the guest's name is server text
    stdin_fd, stdout_fd = sys.stdin.fileno(), sys.stdout.fileno()
    on_tty = os.isatty(stdin_fd)
    session = Session(
        ws,
        stdin_fd=stdin_fd,
        stdout_fd=stdout_fd,
        detach_key=DETACH_KEY if on_tty else None,
        size=(lambda: window_size(stdout_fd) or window_size(stdin_fd)) if on_tty else None,
    )
    sys.stdout.flush()
    if on_tty:
        print(f"Attached to the {port} console of {label}; detach with {DETACH_NAME}.", file=sys.stderr)
    try:
        with signals(session.signal):
            if on_tty:
                with raw_mode(stdin_fd):
                    end = session.run(first)
            else:
                end = session.run(first)
    finally:
        session.close()
    newline = "\r\n" if on_tty else ""
    if session.terminated_by is not None:
        name = signal.Signals(session.terminated_by).name
        print(f"{newline}pvectl: {name}; detached from {label}.", file=sys.stderr)
        return 128 + session.terminated_by
    if end == "detached":
        print(f"{newline}Detached from {label}.", file=sys.stderr)
    elif end == "closed":
        print(f"{newline}The console of {label} was closed by the server.", file=sys.stderr)
    return 0
