"""``pvectl ct console ID``: attach this terminal to a container's console (pve-container's termproxy over
``lxc-console``, reached through ``vncwebsocket``), as ``vm console`` does for a VM's serial port.

This is the way into a container from pvectl: PVE's API has no ``exec`` for containers (``pct exec`` runs on
the node). Needs a password login (termproxy refuses API tokens, pvectl.console.connect says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from pvectl.cli.commands.ct.daily import CtArg
from pvectl.cli.errors import reported

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef


def console(ctx: typer.Context, ct: CtArg) -> None:
    """Attach to a container's console (detach with Ctrl-]); an API token needs pve-container 6.1.3+ on the node."""
    with reported():
        from pvectl.cli.attach import console_client, error
        from pvectl.cli.commands.ct.daily import find
        from pvectl.console.connect import ConsoleError, refuse_token

        client = console_client(ctx)
        ref = find(client, ct)
        try:
            refuse_token(client, ref.node, "lxc")  # before anything is written: the node's pve-container decides
        except ConsoleError as exc:
            raise error(exc) from None
        code = attach(client, ref)
    if code:
        raise typer.Exit(code)


def attach(client: ProxmoxClient, ref: VmRef) -> int:
    from pvectl.cli.attach import error, pump
    from pvectl.console.connect import ConsoleError, check_ct, login, open_ticket, open_websocket

    try:
        check_ct(client, ref.node, ref.vmid)
        ticket = open_ticket(client, ref.node, ref.vmid, None, kind="lxc")
        ws = open_websocket(client, ref.node, ref.vmid, ticket, kind="lxc")
    except ConsoleError as exc:
        raise error(exc) from None
    with ws:
        try:
            first = login(ws, ticket, ref.vmid)
        except ConsoleError as exc:
            raise error(exc) from None
        return pump(ws, first, f"CT {ref.vmid}" + (f" ({ref.name})" if ref.name else ""), "tty")
