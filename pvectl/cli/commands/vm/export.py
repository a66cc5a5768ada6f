"""``pvectl vm export ID|NAME``: the live VM as the file ``vm create --from-file`` reads (pvectl.vm.export)."""

from __future__ import annotations

import typer

from pvectl.cli.commands.vm.daily import VmArg, _find
from pvectl.cli.errors import reported
from pvectl.cli.runner import output_format

IDENTITY_NOTE = "# vmid, name and node are this VM's identity: change or drop them to create a copy"


def export(ctx: typer.Context, vm: VmArg) -> None:
    """Print a VM's configuration as a VM file (YAML; -o json for JSON): create a copy with vm create --from-file,
    compare with pvectl diff -f, change it with pvectl apply -f."""
    with reported():
        from pvectl.cli.output import check_format, json_text, yaml_text
        from pvectl.vm.export import export_config, to_file

        fmt = check_format(output_format(ctx))
        client = ctx.obj.client()
        data = to_file(export_config(client, _find(client, vm)))
        if fmt == "json":
            print(json_text(data))
        else:  # the file itself in every other format: YAML, with a note on the identity keys
            print(f"{IDENTITY_NOTE}\n{yaml_text(data)}", end="")
