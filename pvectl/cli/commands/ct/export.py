"""``pvectl ct export CT``: the live container as a container file (YAML; -o json for JSON)."""

from __future__ import annotations

import json

import typer

from pvectl.cli.commands.ct.daily import CtArg
from pvectl.cli.errors import reported
from pvectl.cli.runner import output_format


def export(ctx: typer.Context, ct: CtArg) -> None:
    """Print a container as a container file: `ct create --from-file` reads it back (add a --template)."""
    with reported():
        from pvectl.cli.commands.ct.daily import find
        from pvectl.ct.export import to_file

        client = ctx.obj.client()
        ref = find(client, ct)
        from pvectl.sdk._core.answers import plain

        config = plain(client.nodes(ref.node).lxc(ref.vmid).config.get()) or {}
        data = to_file(config, vmid=ref.vmid, node=ref.node, pool=ref.raw.get("pool"))
        if output_format(ctx) == "json":
            print(json.dumps(data, indent=2))
            return
        import yaml

        note = "# PVE keeps no template name: give one (template: debian-12) to create a copy\n"
        print(note + yaml.safe_dump(data, sort_keys=False), end="")
