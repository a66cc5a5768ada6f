"""``pvectl vm console ID``: attach this terminal to a VM's serial console (PVE's termproxy + vncwebsocket).

On a terminal: raw mode (every key goes to the VM), the window size follows ours, Ctrl-] detaches; the
terminal is restored however the session ends (detach, the server closing, an error, SIGTERM/SIGHUP).
Without a terminal (stdin a pipe or file) it works as a pipe: input is sent as it is (no detach key), output
is written as it comes, and once the input ends pvectl detaches after a second without output.

API tokens cannot use PVE's serial console (pvectl.console.connect says why): the command needs a password
login and says so before sending anything.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli.commands.vm.wait import VmArg
from pvectl.cli.errors import AUTH, CONNECTION, FAILURE, USAGE, CliError, reported

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

    from pvectl.console.connect import ConsoleError
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

SerialOpt = Annotated[
    str | None,
    typer.Option(
        "--serial",
        metavar="serial0-3",
        help="Serial port to attach to (default: the display's serial port, else the first socket one).",
        show_default=False,
    ),
]
_CODES = {"auth": AUTH, "connection": CONNECTION, "failure": FAILURE}


def console(ctx: typer.Context, vm: VmArg, serial: SerialOpt = None) -> None:
    """Attach to a VM's serial console (detach with Ctrl-]); needs a password login, not an API token."""
    with reported():
        from pvectl.cli.commands.vm.daily import _find

        if serial is not None and serial not in ("serial0", "serial1", "serial2", "serial3"):
            raise CliError(f"--serial: must be serial0, serial1, serial2 or serial3, got '{serial}'", USAGE)
        from pvectl.console.connect import ConsoleError, refuse_token

        client = console_client(ctx)
        try:
            refuse_token(client)  # before anything is sent
        except ConsoleError as exc:
            raise _error(exc) from None
        ref = _find(client, vm)
        code = attach(client, ref, serial)
    if code:
        raise typer.Exit(code)


def console_client(ctx: typer.Context) -> ProxmoxClient:
    """The command's client; with ``--sim``, a password login to the simulator (its token could not attach)."""
    options = ctx.obj.options
    if not options.sim:
        return _password_client(options)
    from pvectl.cli.connection import new_client
    from pvectl.sdk import ProxmoxClient
    from pvectl.sim.embedded import sim_connection

    conn = sim_connection()
    sim_client: ProxmoxClient = new_client(
        ProxmoxClient, options, host=conn.base_url, fingerprint=conn.fingerprint, user=conn.user, password=conn.password
    )
    return sim_client


def _password_client(options: Any) -> ProxmoxClient:
    """The client of the root options, with a password login in place of an API token: PVE's termproxy takes
    no token, so the console logs in as the token's user (the ticket ``pvectl login`` cached, or a prompt)."""
    import dataclasses

    from pvectl.cli.connection import client_kwargs, new_client, resolve
    from pvectl.sdk import ProxmoxClient

    settings = resolve(options)
    if settings.token is not None:
        import os
        import sys

        from pvectl.config.tickets import load_ticket

        user = settings.token.partition("!")[0]
        settings = dataclasses.replace(settings, token=None, user=user)
        asked = sys.stdin.isatty() or options.password_stdin or settings.password or os.environ.get("PVECTL_PASSWORD")
        if load_ticket(settings.base_url, user) is None and not asked:
            raise CliError(
                "vm console needs a password login: PVE's termproxy refuses API tokens at its login check",
                AUTH,
                [f"remedy: log in once: pvectl --user {user} login (vm console then uses it; all else the token)"],
            )
    client: ProxmoxClient = new_client(ProxmoxClient, options, **client_kwargs(options, settings, interactive=True))
    return client


def _error(exc: ConsoleError) -> CliError:
    return CliError(str(exc), _CODES.get(exc.kind, FAILURE), [f"remedy: {exc.remedy}"] if exc.remedy else [])


def attach(client: ProxmoxClient, ref: VmRef, serial: str | None) -> int:
    """Open the console of ``ref`` and pump it until it ends; the exit code (0 detached or closed)."""
    from pvectl.console.connect import ConsoleError, check_vm, login, open_ticket, open_websocket, refuse_token

    try:
        refuse_token(client)
        port = check_vm(client, ref.node, ref.vmid, serial)
        ticket = open_ticket(client, ref.node, ref.vmid, port)
        ws = open_websocket(client, ref.node, ref.vmid, ticket)
    except ConsoleError as exc:
        raise _error(exc) from None
    with ws:
        try:
            first = login(ws, ticket, ref.vmid)
        except ConsoleError as exc:
            raise _error(exc) from None
        return _pump(ws, first, f"VM {ref.vmid}" + (f" ({ref.name})" if ref.name else ""), port)


def _pump(ws: ClientConnection, first: bytes, label: str, port: str) -> int:
    """Our terminal (or pipe) <-> the logged-in console; the terminal restored on every way out."""
    from pvectl.console.session import DETACH_KEY, DETACH_NAME, Session
    from pvectl.console.terminal import raw_mode, signals, window_size

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
