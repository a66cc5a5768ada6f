"""``--wait ip`` for containers: poll ``GET /nodes/{node}/lxc/{vmid}/interfaces`` (pve-container
src/PVE/API2/LXC.pm ``ip``: the addresses inside the container's network namespace; null while it does not
run) until an interface other than ``lo`` has an IPv4 address; print it on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pvectl.cli.errors import CliError
from pvectl.cli.runner import output_format
from pvectl.sdk import PveError

if TYPE_CHECKING:
    import typer

    from pvectl.sdk import ProxmoxClient

TIMED_OUT = 7  # the README's "gave up waiting" exit code (as vm wait)
DELAYS = (0.5, 1.0, 2.0, 3.0)


def addresses(rows: Any) -> list[str]:
    out = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping) or row.get("name") == "lo":
            continue
        for addr in row.get("ip-addresses") or []:
            if isinstance(addr, Mapping) and addr.get("ip-address-type") == "inet" and addr.get("ip-address"):
                out.append(str(addr["ip-address"]))
        if not row.get("ip-addresses") and row.get("inet"):  # releases before the ip-addresses list
            out.append(str(row["inet"]).split("/", 1)[0])
    return out


def wait_for_ip(ctx: typer.Context, client: ProxmoxClient, node: str, vmid: int, *, timeout: float) -> None:
    from pvectl.sdk._core.backoff import Poll

    rounds = Poll(client.clock, timeout=timeout, delays=DELAYS, last_look=False)
    rows: Any = None
    while True:
        try:
            from pvectl.sdk._core.answers import plain

            rows = plain(client.nodes(node).lxc(vmid).interfaces())
        except PveError as exc:  # a transient failure is asked again until the time is up
            rows = None
            last = str(exc)
        else:
            last = "no address yet"
        found = addresses(rows)
        if found:
            if output_format(ctx) == "json":
                print(json.dumps({"vmid": vmid, "node": node, "addresses": found, "interfaces": rows}, indent=2))
            else:
                print(found[0])
            return
        if rounds.pauses == 0 and rounds.next_delay() is not None:
            print(f"waiting for CT {vmid}'s address ...", file=sys.stderr)
        if not rounds.pause():
            raise CliError(
                f"CT {vmid} has no IPv4 address after {timeout:g}s ({last}); it goes on running",
                TIMED_OUT,
                [f"check with: pvectl api get /nodes/{node}/lxc/{vmid}/interfaces"],
            )
