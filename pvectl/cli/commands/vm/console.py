"""``pvectl vm console ID``: attach this terminal to a VM's serial console (PVE's termproxy + vncwebsocket).

On a terminal: raw mode (every key goes to the VM), the window size follows ours, Ctrl-] detaches; the
terminal is restored however the session ends (detach, the server closing, an error, SIGTERM/SIGHUP).
Without a terminal (stdin a pipe or file) it works as a pipe: input is sent as it is (no detach key), output
is written as it comes, and once the input ends pvectl detaches after a second without output.

API tokens cannot use PVE's serial console (pvectl.console.connect says why): the command needs a password
login and says so before sending anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli.attach import console_client, error, pump
from pvectl.cli.commands.vm.wait import VmArg
from pvectl.cli.errors import USAGE, CliError, reported

if TYPE_CHECKING:
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
            raise error(exc) from None
        ref = _find(client, vm)
        code = attach(client, ref, serial)
    if code:
        raise typer.Exit(code)


def attach(client: ProxmoxClient, ref: VmRef, serial: str | None) -> int:
    """Open the console of ``ref`` and pump it until it ends; the exit code (0 detached or closed)."""
    from pvectl.console.connect import ConsoleError, check_vm, login, open_ticket, open_websocket, refuse_token

    try:
        refuse_token(client)
        port = check_vm(client, ref.node, ref.vmid, serial)
        ticket = open_ticket(client, ref.node, ref.vmid, port)
        ws = open_websocket(client, ref.node, ref.vmid, ticket)
    except ConsoleError as exc:
        raise error(exc) from None
    with ws:
        try:
            first = login(ws, ticket, ref.vmid)
        except ConsoleError as exc:
            raise error(exc) from None
        return pump(ws, first, f"VM {ref.vmid}" + (f" ({ref.name})" if ref.name else ""), port)
